"""Hooks, fed the JSON Claude Code sends on stdin: exit codes, stdout JSON, and what lands in the ledger."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core import ModelConfigManager
from core.claude_code import hooks, price_cache

from .conftest import CWD, SESSION, assistant, rows, usage, write

NOW = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def run_hook(event: str, payload: dict[str, Any] | str, *, main_cli: bool = False) -> subprocess.CompletedProcess[str]:
    module = "core" if main_cli else "core.claude_code"
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return subprocess.run([sys.executable, "-m", module, "hook", event], input=text, capture_output=True, text=True,
                          env=dict(os.environ), timeout=60)


def budget(isolated_env: Path, limit: float, auto_downgrade: bool, **scoped: Any) -> None:
    cfg: dict[str, Any] = {"budget_limits": {"daily": {"limit": limit, "auto_downgrade": auto_downgrade}}}
    if scoped:
        cfg["scoped_budgets"] = scoped
    (isolated_env / "config" / "cost-optimization.json").write_text(json.dumps(cfg))


def spend(usd_micro_tokens: int = 1_000_000) -> None:
    """Record today's spend: claude-opus-4-1 output at $75/MTok."""
    with ModelConfigManager() as m:
        m.track_usage("main", "claude-opus-4-1", 0, usd_micro_tokens)


def stop_payload(transcript: Path) -> dict[str, Any]:
    return {"session_id": SESSION, "transcript_path": str(transcript), "cwd": CWD, "permission_mode": "default",
            "hook_event_name": "Stop", "stop_hook_active": False, "last_assistant_message": "Done."}


def agent_payload(tool_input: dict[str, Any], tool_name: str = "Agent") -> dict[str, Any]:
    return {"session_id": SESSION, "transcript_path": f"/home/dev/.claude/projects/-home-dev-shop-api/{SESSION}.jsonl",
            "cwd": CWD, "permission_mode": "default", "hook_event_name": "PreToolUse", "tool_name": tool_name,
            "tool_input": tool_input, "tool_use_id": "toolu_01ABC"}


AGENT_INPUT = {"description": "Review the diff", "prompt": "Review the staged changes",
               "subagent_type": "code-reviewer", "model": "sonnet"}


def test_stop_imports_the_session_and_its_subagents(project: Path) -> None:
    main = write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_1", ts=NOW)] * 2)
    write(project / SESSION / "subagents" / "agent-a1.jsonl", [assistant("msg_2", "req_2", sidechain=True, ts=NOW)])
    write(project / "other-session.jsonl", [assistant("msg_9", "req_9", ts=NOW)])  # not this session
    proc = run_hook("stop", stop_payload(main))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    with ModelConfigManager() as m:
        assert sorted(r["request_id"] for r in rows(m)) == ["msg_1:req_1", "msg_2:req_2"]
    # Again, with a line appended: only the new line is read.
    write(main, [assistant("msg_3", "req_3", ts=NOW)], mode="a")
    assert run_hook("stop", stop_payload(main)).returncode == 0
    with ModelConfigManager() as m:
        assert len(rows(m)) == 3
        assert price_cache.cache_path(m) is not None and price_cache.cache_path(m).exists()  # type: ignore[union-attr]


def test_subagent_stop_uses_the_hook_agent_type(project: Path) -> None:
    main = write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_1", ts=NOW)])
    sub = write(project / SESSION / "subagents" / "agent-def456.jsonl",
                [assistant("msg_2", "req_2", sidechain=True, ts=NOW)])
    payload = {"session_id": SESSION, "transcript_path": str(main), "cwd": CWD, "permission_mode": "default",
               "hook_event_name": "SubagentStop", "stop_hook_active": False, "agent_id": "def456",
               "agent_type": "Explore", "agent_transcript_path": str(sub), "last_assistant_message": "Found it."}
    proc = run_hook("subagent-stop", payload)
    assert (proc.returncode, proc.stdout) == (0, "")
    with ModelConfigManager() as m:
        assert {r["request_id"]: r["agent_type"] for r in rows(m)} == {"msg_1:req_1": "main", "msg_2:req_2": "Explore"}


@pytest.mark.parametrize("payload", ["{not json", "[]", json.dumps({"hook_event_name": "Stop"})])
def test_failures_never_block(payload: str, isolated_env: Path) -> None:
    proc = run_hook("stop", payload)
    assert (proc.returncode, proc.stdout) == (0, "")
    log = (isolated_env / "claude-code-hooks.log").read_text()
    assert "hook stop:" in log


def test_missing_transcript_is_nothing_to_do(isolated_env: Path) -> None:
    proc = run_hook("stop", {"transcript_path": "/nowhere/x.jsonl", "hook_event_name": "Stop"})
    assert (proc.returncode, proc.stdout) == (0, "")


def test_bad_config_does_not_block(isolated_env: Path) -> None:
    (isolated_env / "config" / "cost-optimization.json").write_text("{broken")
    proc = run_hook("pre-tool-use", agent_payload(AGENT_INPUT))
    assert (proc.returncode, proc.stdout) == (0, "")
    assert "ConfigError" in (isolated_env / "claude-code-hooks.log").read_text()


# Every way Claude Code can run a hook: `model-config` is the console script installed next to this interpreter.
ENTRY_POINTS = {
    "model-config": [str(Path(sys.executable).parent / "model-config")],
    "python -m core": [sys.executable, "-m", "core"],
    "python -m core.claude_code": [sys.executable, "-m", "core.claude_code"],
}


def run_command(entry_point: str, *argv: str, stdin: str = "{}") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ENTRY_POINTS[entry_point], *argv], input=stdin, capture_output=True, text=True,
                          env=dict(os.environ), timeout=60)


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize(("argv", "problem"), [
    (["hook", "stop", "--bogus"], "unrecognized arguments: --bogus"),
    (["--bogus", "hook", "stop"], "unrecognized arguments: --bogus"),
    (["hook", "stopp"], "invalid choice: 'stopp'"),
    (["hook"], "the following arguments are required: EVENT"),
    (["hook", "stop", "--db"], "argument --db: expected one argument"),
    (["hook", "session-start", "--json=yes"], "argument --json: ignored explicit argument 'yes'"),
])
def test_a_bad_hook_command_line_never_blocks(isolated_env: Path, entry_point: str, argv: list[str],
                                              problem: str) -> None:
    """Exit 2 would block the user's action: a hook with arguments we do not understand logs them and exits 0."""
    proc = run_command(entry_point, *argv)
    assert (proc.returncode, proc.stdout) == (0, "")
    assert len(proc.stderr.splitlines()) == 1 and problem in proc.stderr
    log = (isolated_env / "claude-code-hooks.log").read_text()
    assert len(log.splitlines()) == 1 and " hook " in log and problem in log


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_hook_command_lines_argparse_accepts_still_run(isolated_env: Path, entry_point: str) -> None:
    """Forms the hook's quick parse leaves to the full command line: help, and options it does not know."""
    helped = run_command(entry_point, "hook", "--help")
    assert helped.returncode == 0 and "EVENT" in helped.stdout
    payload = {"session_id": SESSION, "cwd": CWD, "hook_event_name": "SessionStart", "source": "startup"}
    proc = run_command(entry_point, "hook", "session-start", "--json", stdin=json.dumps(payload))
    assert proc.returncode == 0, proc.stderr
    assert "additionalContext" in json.loads(proc.stdout)["hookSpecificOutput"]
    assert not (isolated_env / "claude-code-hooks.log").exists()


@pytest.mark.parametrize("argv", [["agents", "--bogus"], ["agents", "--days", "hook"], ["hookz"]])
def test_other_commands_keep_their_usage_errors(isolated_env: Path, argv: list[str]) -> None:
    proc = run_command("model-config", *argv)
    assert proc.returncode == 2 and proc.stdout == ""
    assert not (isolated_env / "claude-code-hooks.log").exists()


def test_pre_tool_use_under_budget_allows_silently(isolated_env: Path) -> None:
    proc = run_hook("pre-tool-use", agent_payload(AGENT_INPUT))
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_pre_tool_use_denies_over_a_hard_budget(isolated_env: Path) -> None:
    budget(isolated_env, 10, auto_downgrade=False)
    spend(200_000)  # $15
    proc = run_hook("pre-tool-use", agent_payload(AGENT_INPUT), main_cli=True)
    assert proc.returncode == 0
    out = json.loads(proc.stdout)["hookSpecificOutput"]
    assert out["hookEventName"] == "PreToolUse" and out["permissionDecision"] == "deny"
    assert out["permissionDecisionReason"].startswith("Daily budget $10.00 exceeded ($15.00 spent)")


def test_pre_tool_use_downgrades_under_auto_downgrade(isolated_env: Path) -> None:
    budget(isolated_env, 10, auto_downgrade=True)
    spend(124_000)  # $9.30: critical (>= 90%)
    proc = run_hook("pre-tool-use", agent_payload(AGENT_INPUT))
    out = json.loads(proc.stdout)["hookSpecificOutput"]
    assert out["permissionDecision"] == "allow"
    assert out["updatedInput"] == {**AGENT_INPUT, "model": "haiku"}
    assert "auto-downgrade: subagent model sonnet -> haiku" in out["permissionDecisionReason"]


def test_other_tools_pass_through(isolated_env: Path) -> None:
    budget(isolated_env, 10, auto_downgrade=False)
    spend(200_000)
    proc = run_hook("pre-tool-use", agent_payload({"command": "ls"}, tool_name="Bash"))
    assert (proc.returncode, proc.stdout) == (0, "")


def test_session_start_adds_one_line_of_status(isolated_env: Path) -> None:
    budget(isolated_env, 10, auto_downgrade=True)
    spend(40_000)  # $3
    payload = {"session_id": SESSION, "transcript_path": "/x.jsonl", "cwd": CWD, "hook_event_name": "SessionStart",
               "source": "startup", "model": "claude-sonnet-4-6"}
    proc = run_hook("session-start", payload)
    out = json.loads(proc.stdout)["hookSpecificOutput"]
    assert out["hookEventName"] == "SessionStart"
    text = out["additionalContext"]
    assert "\n" not in text and text.startswith("model-config budgets: daily $3.00/$10.00 (30%)")


# -- the budget gate, in process (the table of cases) --------------------------------------------


def gate(tool_input: dict[str, Any], cwd: str = CWD) -> dict[str, Any] | None:
    out = io.StringIO()
    payload = {**agent_payload(tool_input), "cwd": cwd}
    hooks.run("pre-tool-use", ModelConfigManager, io.StringIO(json.dumps(payload)), out)
    return json.loads(out.getvalue())["hookSpecificOutput"] if out.getvalue() else None


@pytest.mark.parametrize(("spent_tokens", "requested", "expected"), [
    (100_000, "opus", None),  # $7.50: warning, no action
    (124_000, "opus", "sonnet"),  # critical: one tier down
    (124_000, "haiku", None),  # already the cheapest
    (140_000, "opus", "haiku"),  # exceeded: cheapest tier only
    (140_000, None, "haiku"),  # no model asked: the agent's base tier, then down
])
def test_gate_table(isolated_env: Path, spent_tokens: int, requested: str | None, expected: str | None) -> None:
    budget(isolated_env, 10, auto_downgrade=True)
    spend(spent_tokens)
    tool_input = {k: v for k, v in {**AGENT_INPUT, "model": requested}.items() if v is not None}
    out = gate(tool_input)
    if expected is None:
        assert out is None
    else:
        assert out is not None and out["updatedInput"]["model"] == expected


@pytest.mark.parametrize("via", ["env", "cwd"])
def test_gate_uses_the_agent_definition_model(isolated_env: Path, monkeypatch: pytest.MonkeyPatch, via: str) -> None:
    project_dir = isolated_env / "proj"
    (project_dir / ".claude" / "agents").mkdir(parents=True)
    (project_dir / ".claude" / "agents" / "code-reviewer.md").write_text(
        "---\nname: code-reviewer\ndescription: Reviews diffs.\nmodel: opus\n---\nYou review code.\n")
    if via == "env":
        monkeypatch.setenv("CLAUDE_PROJECT_DIR", str(project_dir))
    budget(isolated_env, 10, auto_downgrade=True)
    spend(124_000)
    out = gate({k: v for k, v in AGENT_INPUT.items() if k != "model"}, cwd=str(project_dir))
    assert out is not None and out["updatedInput"]["model"] == "sonnet"
    assert out["permissionDecisionReason"].endswith("subagent model opus -> sonnet")  # opus, from its definition


def test_gate_reads_user_agents_from_claude_config_dir(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's agents live in $CLAUDE_CONFIG_DIR's directories (the first that defines one wins)."""
    first, second = isolated_env / "cfg-a", isolated_env / "cfg-b"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", f"{first},{second}")
    for config, model in ((first, "opus"), (second, "haiku")):
        (config / "agents").mkdir(parents=True)
        (config / "agents" / "code-reviewer.md").write_text(
            f"---\nname: code-reviewer\ndescription: Reviews diffs.\nmodel: {model}\n---\nYou review code.\n")
    budget(isolated_env, 10, auto_downgrade=True)
    spend(124_000)
    out = gate({k: v for k, v in AGENT_INPUT.items() if k != "model"}, cwd=str(isolated_env / "elsewhere"))
    assert out is not None and out["permissionDecisionReason"].endswith("subagent model opus -> sonnet")


def test_price_cache_is_tied_to_the_installed_catalogue(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import genai_prices

    stamp = price_cache.catalogue_stamp()
    assert str(Path(genai_prices.__file__).with_name("data.py")) in stamp
    write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_1", ts=NOW, u=usage(10, 10))])
    with ModelConfigManager() as m:
        hooks.run("stop", lambda: m, io.StringIO(json.dumps(stop_payload(project / f"{SESSION}.jsonl"))), io.StringIO())
    with ModelConfigManager() as same:
        assert price_cache.load(same) >= 1
    # Another genai-prices install (an upgrade changes its files): the saved prices are not used.
    monkeypatch.setattr(price_cache, "catalogue_stamp", lambda: stamp + "|upgraded")
    with ModelConfigManager() as upgraded:
        assert price_cache.load(upgraded) == 0


def test_scoped_project_budget_denies(isolated_env: Path) -> None:
    budget(isolated_env, 1000, auto_downgrade=False,
           **{"project:shop-api": {"daily": {"limit": 1, "auto_downgrade": False}}})
    with ModelConfigManager() as m:
        m.track_usage("main", "claude-opus-4-1", 0, 100_000, project_id="shop-api")
    out = gate(AGENT_INPUT)
    assert out is not None and out["permissionDecision"] == "deny"
    assert "Daily budget for project:shop-api $1.00 exceeded" in out["permissionDecisionReason"]


def test_price_cache_round_trip(project: Path) -> None:
    write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_1", ts=NOW, u=usage(10, 10))])
    with ModelConfigManager() as m:
        hooks.run("stop", lambda: m, io.StringIO(json.dumps(stop_payload(project / f"{SESSION}.jsonl"))), io.StringIO())
    with ModelConfigManager() as fresh:
        assert price_cache.load(fresh) >= 1
        cached = fresh.price_book.price("claude-sonnet-4-5-20250929", datetime.now(UTC), input_tokens=10,
                                        output_tokens=10)
    with ModelConfigManager() as reference:
        assert cached == reference.price_book.price("claude-sonnet-4-5-20250929", datetime.now(UTC),
                                                    input_tokens=10, output_tokens=10)
