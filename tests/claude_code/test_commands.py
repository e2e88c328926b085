"""`import claude-code`, `install-hooks` and `agents`, through the command line."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core import ModelConfigManager
from core.claude_code import settings_merge
from core.claude_code.agents import find_agents, frontmatter, with_model
from core.cli import main as cli_main

from .conftest import SESSION, assistant, write


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli_main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


# -- import ---------------------------------------------------------------------------------------


def test_import_text_and_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_1"), assistant("msg_1", "req_1"), "junk",
                                         assistant("msg_2", "req_2", model="claude-experimental-9")])
    code, out, err = cli(capsys, "import", "claude-code")
    assert code == 0 and err == ""
    assert "new records        2" in out and "duplicates skipped 1" in out and "malformed lines    1" in out
    assert "unknown models     claude-experimental-9 (1)" in out
    code, out, _ = cli(capsys, "import", "claude-code", "--json")
    data = json.loads(out)
    assert code == 0 and (data["files"], data["files_read"], data["new_records"]) == (1, 0, 0)


def test_import_path_and_since(isolated_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    elsewhere = isolated_env / "backup"
    write(elsewhere / "projects" / "-p" / "s.jsonl", [assistant("msg_1", "req_1", ts="2026-01-01T00:00:00Z"),
                                                      assistant("msg_2", "req_2", ts="2026-03-01T00:00:00Z")])
    code, out, _ = cli(capsys, "import", "claude-code", "--path", str(elsewhere), "--since", "2026-02-01", "--json")
    data = json.loads(out)
    assert code == 0 and (data["new_records"], data["skipped_before_since"]) == (1, 1)
    assert cli(capsys, "import", "claude-code", "--since", "yesterday")[0] == 2


def test_import_reports_a_path_that_is_not_there(isolated_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    there = isolated_env / "backup"
    write(there / "projects" / "-p" / "s.jsonl", [assistant("msg_1", "req_1")])
    missing = isolated_env / "typo"
    code, out, _ = cli(capsys, "import", "claude-code", "--path", str(missing), "--path", str(there))
    assert code == 0 and "new records        1" in out
    assert f"error: {missing}: no such file or directory" in out
    code, out, _ = cli(capsys, "import", "claude-code", "--path", str(missing), "--json")
    assert json.loads(out)["errors"] == [f"{missing}: no such file or directory"]


def test_import_reports_when_nothing_is_found(isolated_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "import", "claude-code")
    assert code == 0 and "no transcripts found" in out


def test_standalone_entry_point(project: Path) -> None:
    write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_1")])
    proc = subprocess.run([sys.executable, "-m", "core.claude_code", "import", "claude-code", "--json"],
                          capture_output=True, text=True, env=dict(os.environ), timeout=60)
    assert proc.returncode == 0 and json.loads(proc.stdout)["new_records"] == 1


def test_standalone_entry_point_reports_errors_as_the_command_line_does(isolated_env: Path) -> None:
    not_a_db = isolated_env / "notes.db"
    not_a_db.write_text("not a database")
    for module in ("core", "core.claude_code"):
        proc = subprocess.run([sys.executable, "-m", module, "import", "claude-code", "--db", str(not_a_db)],
                              capture_output=True, text=True, env=dict(os.environ), timeout=60)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr, (module, proc.stderr)
        assert proc.stderr.strip() == f"model-config: error: usage database {not_a_db}: file is not a database"


def test_import_draws_a_progress_bar_on_a_terminal_only(project: Path, run_on_tty: Callable[..., tuple[int, str]]
                                                        ) -> None:
    write(project / f"{SESSION}.jsonl", [assistant(f"msg_{n}", f"req_{n}") for n in range(50)])
    code, shown = run_on_tty("import", "claude-code", cwd=project)
    assert code == 0 and "new records        50" in shown
    assert "Importing Claude Code transcripts [####################] 100%" in shown and "1/1 files" in shown
    assert " MB" in shown and "\r\x1b[Kfiles              1 " in shown  # the line is cleared before the summary
    write(project / "second-session.jsonl", [assistant(f"msg_b{n}", f"req_b{n}") for n in range(50)])
    piped = subprocess.run([sys.executable, "-m", "core", "import", "claude-code"], capture_output=True,
                           env=dict(os.environ), timeout=60)
    assert piped.returncode == 0 and b"new records        50" in piped.stdout
    assert piped.stderr == b""  # not a terminal: no progress drawn


# -- install-hooks --------------------------------------------------------------------------------

EXISTING = {
    "permissions": {"allow": ["Bash(npm test)"]},
    "hooks": {
        "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}],
        "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "guard.sh"}]}],
    },
}


def test_install_merges_keeps_others_and_is_idempotent(isolated_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = isolated_env / "claude" / "settings.json"  # user scope: $CLAUDE_CONFIG_DIR/settings.json
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(EXISTING, indent=2))
    code, out, _ = cli(capsys, "install-hooks", "--dry-run", "--command", "model-config")
    assert code == 0 and "+" in out and "dry run: nothing written" in out
    assert json.loads(path.read_text()) == EXISTING
    code, out, _ = cli(capsys, "install-hooks", "--command", "model-config")
    assert code == 0 and "wrote" in out
    data = json.loads(path.read_text())
    assert data["permissions"] == EXISTING["permissions"]
    assert data["hooks"]["Stop"][0] == EXISTING["hooks"]["Stop"][0]
    assert data["hooks"]["Stop"][1] == {"hooks": [{"type": "command", "command": "model-config hook stop",
                                                   "timeout": 30}]}
    assert data["hooks"]["PreToolUse"][1]["matcher"] == "Agent|Task"
    assert data["hooks"]["SessionStart"][0]["matcher"] == "startup|resume"
    assert data["hooks"]["SubagentStop"][0]["hooks"][0]["command"] == "model-config hook subagent-stop"
    backups = list(path.parent.glob("settings.json.bak-*"))
    assert len(backups) == 1 and json.loads(backups[0].read_text()) == EXISTING
    code, out, _ = cli(capsys, "install-hooks", "--command", "model-config")
    assert code == 0 and "already installed" in out
    assert len(list(path.parent.glob("settings.json.bak-*"))) == 1
    # A new install location replaces our entries instead of adding more.
    code, _, _ = cli(capsys, "install-hooks", "--command", "/opt/mc/bin/model-config", "--db", "/data/u.db")
    stops = json.loads(path.read_text())["hooks"]["Stop"]
    assert [h["command"] for g in stops for h in g["hooks"]] == [
        "notify-send done", "/opt/mc/bin/model-config hook stop --db /data/u.db"]


def test_install_project_scope_and_bad_json(isolated_env: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    proj = isolated_env / "proj"
    proj.mkdir()
    monkeypatch.setenv("CLAUDE_PROJECT_DIR", str(proj))
    code, out, _ = cli(capsys, "install-hooks", "--project", "--json")
    data = json.loads(out)
    assert code == 0 and data["written"] and data["backup"] is None
    assert Path(data["path"]) == proj / ".claude" / "settings.json"
    (proj / ".claude" / "settings.json").write_text("{oops")
    code, _, err = cli(capsys, "install-hooks", "--project")
    assert code == 1 and "not valid JSON" in err


def test_default_command_runs_our_hook_from_a_project_with_its_own_core_package(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without `model-config` on PATH, hooks run this interpreter on `core.claude_code`, in the user's
    project; a `core` package there must not be the one imported."""
    import shlex

    monkeypatch.setenv("PATH", str(isolated_env / "empty-bin"))
    command = settings_merge.default_command()
    assert command.startswith(shlex.quote(sys.executable))
    proj = isolated_env / "proj"
    (proj / "core").mkdir(parents=True)
    marker = proj / "imported"
    (proj / "core" / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    payload = {"session_id": SESSION, "cwd": str(proj), "hook_event_name": "SessionStart", "source": "startup"}
    proc = subprocess.run(
        [*shlex.split(command), "hook", "session-start", "--db", str(isolated_env / "u.db")],
        input=json.dumps(payload), capture_output=True, text=True, cwd=proj, timeout=120,
        env={**os.environ, "MODEL_CONFIG_HOOK_SERVER": "0"},
    )
    assert proc.returncode == 0, proc.stderr
    assert "additionalContext" in json.loads(proc.stdout)["hookSpecificOutput"]
    assert not marker.exists()


def test_merge_into_empty_settings() -> None:
    merged = settings_merge.merged({}, "mc")
    assert sorted(merged["hooks"]) == ["PreToolUse", "SessionStart", "Stop", "SubagentStop"]
    assert settings_merge.merged(merged, "mc") == merged


# -- agents ---------------------------------------------------------------------------------------

REVIEWER = """---
name: code-reviewer
description: "Reviews diffs for bugs, security issues and style"
tools: Read, Grep, Glob
model: opus
---
You review code.
"""
FORMATTER = """---
name: formatter
description: |
  Formats files and fixes lint.
  Nothing else.
---
You format code.
"""


def agents_dir(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    proj = isolated_env / "proj"
    d = proj / ".claude" / "agents"
    d.mkdir(parents=True)
    monkeypatch.setenv("CLAUDE_PROJECT_DIR", str(proj))
    (d / "code-reviewer.md").write_text(REVIEWER)
    (d / "formatter.md").write_text(FORMATTER)
    user = isolated_env / "claude" / "agents"  # $CLAUDE_CONFIG_DIR/agents (the root conftest sets it)
    user.mkdir(parents=True)
    (user / "formatter.md").write_text(FORMATTER.replace("formatter", "formatter-user-copy", 1))
    (user / "planner.md").write_text("---\nname: planner\ndescription: Plans architecture.\nmodel: haiku\n---\n")
    (user / "notes.md").write_text("no frontmatter here\n")
    return d


def test_frontmatter_parsing_and_rewrite() -> None:
    meta = frontmatter(FORMATTER)
    assert meta == {"name": "formatter", "description": "Formats files and fixes lint.\nNothing else."}
    assert frontmatter(REVIEWER)["description"] == "Reviews diffs for bugs, security issues and style"  # type: ignore[index]
    rewritten = with_model(REVIEWER, "sonnet")
    assert rewritten == REVIEWER.replace("model: opus", "model: sonnet")
    added = with_model(FORMATTER, "haiku")
    assert added.startswith("---\nname: formatter\nmodel: haiku\ndescription: |\n")
    assert added.endswith("You format code.\n")
    assert frontmatter("no frontmatter") is None


def test_agents_table_json_and_apply(isolated_env: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    d = agents_dir(isolated_env, monkeypatch)
    assert [a.name for a in find_agents()] == ["code-reviewer", "formatter", "formatter-user-copy", "planner"]
    with ModelConfigManager() as m:
        m.track_usage("code-reviewer", "claude-opus-4-1", 0, 10_000)  # $0.75
    code, out, _ = cli(capsys, "agents", "--json")
    advice: dict[str, Any] = {a["name"]: a for a in json.loads(out)["agents"]}
    assert code == 0
    reviewer = advice["code-reviewer"]
    assert (reviewer["configured_model"], reviewer["operations"], reviewer["spend_usd"]) == ("opus", 1, 0.75)
    assert advice["formatter"]["configured_model"] == "inherit" and advice["formatter"]["recommended_model"] == "haiku"
    assert advice["planner"]["scope"] == "user"
    code, out, _ = cli(capsys, "agents")
    assert code == 0 and "code-reviewer" in out and "differs" in out
    # Without a terminal, --apply needs --yes.
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, _, err = cli(capsys, "agents", "--apply")
    assert code == 2 and "--yes" in err
    code, out, _ = cli(capsys, "agents", "--apply", "--yes")
    assert code == 0 and "+model: haiku" in out
    assert frontmatter((d / "formatter.md").read_text())["model"] == "haiku"  # type: ignore[index]
    (saved,) = d.glob("formatter.md.bak*")
    assert saved.read_text() == FORMATTER
    code, out, _ = cli(capsys, "agents", "--apply", "--yes")
    assert "nothing to change" in out
