"""`config init/show/validate`, and how every command treats a missing or broken configuration."""

from __future__ import annotations

import json
from pathlib import Path

from core.config import CostConfig, MappingConfig, load_settings


def test_init_writes_defaults_and_never_overwrites(cli, config_dir: Path):
    r = cli("config", "init")
    assert r.code == 0, r
    cost, mapping = config_dir / "cost-optimization.json", config_dir / "agent-model-mapping.json"
    assert r.out.splitlines()[:2] == [f"Wrote {cost}", f"Wrote {mapping}"]
    data = json.loads(cost.read_text())
    assert data["budget_limits"]["daily"] == {
        "limit": 10,
        "alert_thresholds": {"info": 0.5, "warning": 0.75, "critical": 0.9, "exceeded": 1.0},
        "auto_downgrade": True,
    }
    assert data["retention"] == {"detail_days": None} and data["_comment"]
    # The files hold exactly the built-in defaults.
    settings = load_settings(config_dir)
    assert settings.cost == CostConfig() and settings.mapping == MappingConfig()
    assert settings.files == [str(cost), str(mapping)]

    cost.write_text(json.dumps({"budget_limits": {"daily": {"limit": 3}}}))
    again = cli("config", "init")
    assert again.code == 1
    assert "already exist; nothing written (use --force" in again.err
    assert json.loads(cost.read_text())["budget_limits"]["daily"]["limit"] == 3
    forced = cli("config", "init", "--force", "--json")
    assert forced.code == 0, forced
    assert forced.json() == {
        "directory": str(config_dir),
        "written": [str(cost), str(mapping)],
        "overwritten": [str(cost), str(mapping)],
    }
    assert json.loads(cost.read_text())["budget_limits"]["daily"]["limit"] == 10


def test_init_in_the_project_and_user_dirs(cli, isolated_env: Path):
    env = {"MODEL_CONFIG_DIR": ""}  # no explicit directory: the project's .claude/config, as the original system
    r = cli("config", "init", "--json", env=env)
    assert r.code == 0, r
    project = isolated_env / ".claude" / "config"
    assert r.json()["directory"] == str(project) and (project / "cost-optimization.json").is_file()
    shown = cli("config", "show", "--json", env=env).json()
    assert shown["files"] == [str(project / "cost-optimization.json"), str(project / "agent-model-mapping.json")]
    user = cli("config", "init", "--user", "--json", env=env)
    assert user.json()["directory"] == str(isolated_env / "xdg-config" / "model-config")
    target = isolated_env / "elsewhere"
    explicit = cli("config", "init", "--config-dir", str(target), "--json")
    assert explicit.code == 0 and (target / "agent-model-mapping.json").is_file()


def test_show_names_the_source_of_each_value(cli, write_config, config_dir: Path):
    write_config(
        cost={"budget_limits": {"daily": {"limit": 25}}, "timezone": "Europe/Paris"},
        mapping={"agents": {"software-architect": "opus"}},
    )
    r = cli("config", "show")
    assert r.code == 0, r
    cost = str(config_dir / "cost-optimization.json")
    line = next(x for x in r.out.splitlines() if x.strip().startswith("cost.budget_limits.daily.limit "))
    assert line.split() == ["cost.budget_limits.daily.limit", "25", cost]
    weekly = next(x for x in r.out.splitlines() if x.strip().startswith("cost.budget_limits.weekly.limit "))
    assert weekly.split() == ["cost.budget_limits.weekly.limit", "50", "default"]
    assert "Time zone:  Europe/Paris" in r.out
    data = cli("config", "show", "--json").json()
    assert list(data) == ["files", "search_dirs", "timezone", "values"]
    assert data["values"]["cost.budget_limits.daily.limit"] == {"value": 25, "source": cost}
    assert data["values"]["mapping.agents.software-architect"] == {
        "value": "opus",
        "source": str(config_dir / "agent-model-mapping.json"),
    }
    assert data["values"]["cost.retention.detail_days"] == {"value": None, "source": "default"}
    section = cli("config", "show", "cost.budget_limits.daily.alert_thresholds", "--json").json()["values"]
    assert sorted(section) == [
        f"cost.budget_limits.daily.alert_thresholds.{k}" for k in ("critical", "exceeded", "info", "warning")
    ]
    unknown = cli("config", "show", "cost.nope")
    assert unknown.code == 1 and "no configuration key 'cost.nope'" in unknown.err


def test_validate_names_each_problem(cli, write_config, config_dir: Path, isolated_env: Path):
    none = cli("config", "validate")
    assert none.code == 0 and "No config files found" in none.out
    write_config(
        cost={"budget_limits": {"daily": {"limit": -5, "colour": "red"}}, "week_start": "funday"},
        mapping={"agents": {"x": "opus"}},
    )
    r = cli("config", "validate")
    assert r.code == 1, r
    cost = config_dir / "cost-optimization.json"
    assert f"✗ {cost}: 3 problem(s)" in r.out
    assert "    budget_limits.daily.limit: Input should be greater than 0" in r.out
    assert "    budget_limits.daily.colour: Extra inputs are not permitted" in r.out
    assert "    week_start: Input should be 'monday'" in r.out
    assert f"✓ {config_dir / 'agent-model-mapping.json'}" in r.out
    data = cli("config", "validate", "--json").json()
    assert data["valid"] is False and [len(f["problems"]) for f in data["files"]] == [3, 0]
    other = isolated_env / "draft.json"
    other.write_text('{"budget_limits": {"daily": {"limit": 5}}}')
    good = cli("config", "validate", str(other), "--json")
    assert good.code == 0 and good.json() == {
        "valid": True,
        "files": [{"path": str(other), "problems": []}],
        "merged_problems": [],
    }
    gone = cli("config", "validate", str(isolated_env / "gone.json"))
    assert gone.code == 1 and "file does not exist" in gone.out


def test_broken_config_is_one_clear_line_for_every_command(cli, write_config, config_dir: Path):
    (config_dir / "cost-optimization.json").write_text('{"budget_limits": {')
    for args in (("status",), ("dashboard", "--json"), ("config", "show")):
        r = cli(*args)
        assert r.code == 1, r
        assert r.out == ""
        lines = r.err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in r.err
        assert lines[0].startswith(
            f"model-config: error: {config_dir / 'cost-optimization.json'}: invalid JSON at line 1"
        )
        assert lines[0].endswith("(run 'model-config config validate' to list every problem)")
    write_config(cost={"budget_limits": {"daily": {"limit": "ten"}}})
    bad_value = cli("budget")
    assert bad_value.code == 1 and "budget_limits.daily.limit" in bad_value.err


def test_missing_config_dir_is_a_usage_error(cli, isolated_env: Path):
    missing = isolated_env / "typo"
    r = cli("status", "--config-dir", str(missing))
    assert r.code == 2
    assert r.err.strip() == (
        f"model-config: error: config directory {missing} does not exist "
        f"(create it with 'model-config config init --config-dir {missing}')"
    )
    a_file = isolated_env / "file.txt"
    a_file.write_text("x")
    assert cli("--config-dir", str(a_file), "budget").code == 2
