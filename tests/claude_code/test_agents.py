"""Where subagent definitions are read from, how an inheriting agent is shown, and backups on rewrite."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.claude_code import agents
from core.cli import main as cli_main


def agent(directory: Path, name: str, model: str | None = None, description: str = "Formats files.") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    model_line = f"model: {model}\n" if model else ""
    path = directory / f"{name}.md"
    path.write_text(f"---\nname: {name}\ndescription: {description}\n{model_line}---\nBody.\n")
    return path


@pytest.fixture
def proj(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = isolated_env / "proj"
    (path / ".claude" / "agents").mkdir(parents=True)
    monkeypatch.setenv("CLAUDE_PROJECT_DIR", str(path))
    return path


def found(**kwargs: Any) -> dict[str, tuple[str, Path, str | None]]:
    return {a.name: (a.scope, a.path, a.model) for a in agents.find_agents(**kwargs)}


def test_user_agents_come_from_every_claude_config_dir_in_order(
    isolated_env: Path, proj: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = isolated_env / "cfg-a", isolated_env / "cfg-b"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", f"{first}, {second}")
    agent(first / "agents", "shared", "haiku")
    agent(second / "agents", "shared", "opus")  # hidden: an earlier config dir wins
    only_second = agent(second / "agents", "planner", "opus")
    agent(isolated_env / "home" / ".claude" / "agents", "home-only", "sonnet")  # not read: CLAUDE_CONFIG_DIR is set
    in_project = agent(proj / ".claude" / "agents", "reviewer", "sonnet")
    agent(first / "agents", "reviewer", "haiku")  # hidden: the project's agent wins
    assert found() == {
        "reviewer": ("project", in_project, "sonnet"),
        "shared": ("user", first / "agents" / "shared.md", "haiku"),
        "planner": ("user", only_second, "opus"),
    }


def test_user_agents_default_to_home_claude(isolated_env: Path, proj: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLAUDE_CONFIG_DIR")
    home_agent = agent(isolated_env / "home" / ".claude" / "agents", "planner", "opus")
    assert found() == {"planner": ("user", home_agent, "opus")}


def test_user_agents_and_user_settings_share_one_config_dir(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = isolated_env / "cfg-a"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", f"{first},{isolated_env / 'cfg-b'}")
    from core.claude_code import settings_merge

    user_dirs = [d for scope, d in agents.agent_dirs(isolated_env / "proj") if scope == "user"]
    assert user_dirs == [first / "agents", isolated_env / "cfg-b" / "agents"]
    assert settings_merge.settings_path("user") == first / "settings.json"


@pytest.mark.parametrize("model", [None, "inherit"])
def test_an_inheriting_agent_is_shown_as_inherit_and_differs(
    isolated_env: Path, proj: Path, capsys: pytest.CaptureFixture[str], model: str | None
) -> None:
    agent(proj / ".claude" / "agents", "formatter", model)
    assert cli_main(["agents"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("formatter"))
    assert row.split()[:4] == ["formatter", "project", "inherit", "haiku"] and row.endswith("differs")
    assert cli_main(["agents", "--json"]) == 0
    (advice,) = json.loads(capsys.readouterr().out)["agents"]
    assert (advice["configured_model"], advice["configured_tier"], advice["differs"]) == ("inherit", None, True)


def test_rewriting_an_agent_never_overwrites_an_earlier_backup(isolated_env: Path, proj: Path) -> None:
    path = agent(proj / ".claude" / "agents", "formatter", "opus")
    original = path.read_text()
    (found_agent,) = agents.find_agents()
    first = agents.rewrite(found_agent, agents.with_model(found_agent.text, "sonnet"))
    (found_agent,) = agents.find_agents()
    second = agents.rewrite(found_agent, agents.with_model(found_agent.text, "haiku"))
    assert first != second and first.parent == second.parent == path.parent
    assert first.name.startswith("formatter.md.bak") and second.name.startswith("formatter.md.bak")
    assert first.read_text() == original
    assert second.read_text() == original.replace("model: opus", "model: sonnet")
    assert path.read_text() == original.replace("model: opus", "model: haiku")
    assert [a.name for a in agents.find_agents()] == ["formatter"]  # backups are not agents


def test_backup_names_never_collide(tmp_path: Path) -> None:
    from core.files import backup

    path = tmp_path / "settings.json"
    path.write_text("{}")
    made = []
    for n in range(3):
        path.write_text(json.dumps({"n": n}))
        made.append(backup(path))  # within one second: the same timestamp each time
    assert len(set(made)) == 3
    assert [json.loads(p.read_text()) for p in made] == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert all(p.name.startswith("settings.json.bak-") for p in made)


def test_a_second_apply_through_the_command_keeps_the_first_backup(
    isolated_env: Path, proj: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = agent(proj / ".claude" / "agents", "formatter", "opus")
    original = path.read_text()
    assert cli_main(["agents", "--apply", "--yes"]) == 0
    assert "model: haiku" in path.read_text()
    path.write_text(original)  # set back to opus by hand: it differs again
    assert cli_main(["agents", "--apply", "--yes"]) == 0
    backups = sorted(proj.glob(".claude/agents/formatter.md.bak*"))
    assert len(backups) == 2 and all(b.read_text() == original for b in backups)
    out = capsys.readouterr().out
    assert out.count("rewrote ") == 2 and all(str(b) in out for b in backups)


def test_no_agents_names_every_folder_looked_in(
    isolated_env: Path, proj: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(isolated_env / "cfg"))
    assert cli_main(["agents"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("no subagents found in ")
    assert f"{proj / '.claude' / 'agents'} (project)" in out and f"{isolated_env / 'cfg' / 'agents'} (user)" in out
