"""Configuration files: layering, defaults, sources, and errors that name the file, key and problem."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from core import ConfigError, ModelConfigManager
from core.config import load_settings, search_dirs, validate_file


def test_defaults_without_any_file(tmp_path: Path) -> None:
    s = load_settings(tmp_path)
    limits = {p.value: b.limit for p, b in s.cost.budget_limits.items()}
    assert limits == {"daily": Decimal(10), "weekly": Decimal(50), "monthly": Decimal(200)}
    t = s.cost.budget_limits["daily"].alert_thresholds
    assert (t.info, t.warning, t.critical, t.exceeded) == (0.5, 0.75, 0.9, 1.0)
    assert {k.value: v for k, v in s.mapping.tiers.items()} == {
        "opus": "claude-opus-5",
        "sonnet": "claude-sonnet-5",
        "haiku": "claude-haiku-4-5",
    }
    assert s.sources["cost.budget_limits.daily.limit"] == "default"
    assert s.timezone_name == "UTC"  # TZ=UTC in tests


def test_partial_file_keeps_other_defaults_and_reports_sources(tmp_path: Path) -> None:
    path = tmp_path / "cost-optimization.json"
    path.write_text(json.dumps({"budget_limits": {"daily": {"limit": 3.5}}, "timezone": "Europe/Paris"}))
    s = load_settings(tmp_path)
    assert s.cost.budget_limits["daily"].limit == Decimal("3.5")
    assert s.cost.budget_limits["weekly"].limit == Decimal(50)
    assert s.sources["cost.budget_limits.daily.limit"] == str(path)
    assert s.sources["cost.budget_limits.weekly.limit"] == "default"
    assert s.timezone_name == "Europe/Paris"


def test_project_overrides_user_key_by_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODEL_CONFIG_DIR")
    user = tmp_path / "xdg-config" / "model-config"
    project = tmp_path / "proj" / ".claude" / "config"
    user.mkdir(parents=True)
    project.mkdir(parents=True)
    (user / "cost-optimization.json").write_text(
        json.dumps({"budget_limits": {"daily": {"limit": 1}, "weekly": {"limit": 7}}})
    )
    (project / "cost-optimization.json").write_text(json.dumps({"budget_limits": {"daily": {"limit": 2}}}))
    monkeypatch.setenv("CLAUDE_PROJECT_DIR", str(tmp_path / "proj"))
    assert search_dirs() == [user, project]
    s = load_settings()
    assert s.cost.budget_limits["daily"].limit == Decimal(2)
    assert s.cost.budget_limits["weekly"].limit == Decimal(7)
    assert s.sources["cost.budget_limits.weekly.limit"].startswith(str(user))


@pytest.mark.parametrize(
    ("content", "key", "problem"),
    [
        ("{not json", "", "invalid JSON at line 1"),
        ("[1, 2]", "", "must hold a JSON object"),
        ('{"budget_limits": {"daily": {"limit": -5}}}', "budget_limits.daily.limit", "greater than 0"),
        ('{"budget_limits": {"daily": {"limit": "ten"}}}', "budget_limits.daily.limit", "decimal"),
        ('{"budget_limits": {"hourly": {"limit": 1}}}', "budget_limits.hourly", "daily"),
        (
            '{"budget_limits": {"daily": {"limit": 1, "alert_thresholds": {"info": 0.9, "warning": 0.5}}}}',
            "budget_limits.daily.alert_thresholds",
            "info <= warning",
        ),
        ('{"timezone": "Mars/Olympus"}', "timezone", "unknown IANA time zone"),
        ('{"week_start": "someday"}', "week_start", "monday"),
        ('{"budget_limit": {}}', "budget_limit", "Extra inputs are not permitted"),
        ('{"scoped_budgets": {"team:x": {"daily": {"limit": 1}}}}', "scoped_budgets", "project:<id>"),
        ('{"pricing": {"models": {"m": {"input": 0.0000001}}}}', "pricing.models.m", "6 decimal places"),
    ],
)
def test_broken_config_names_file_key_and_problem(tmp_path: Path, content: str, key: str, problem: str) -> None:
    path = tmp_path / "cost-optimization.json"
    path.write_text(content)
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path)
    assert err.value.path == str(path)
    assert err.value.key == key
    assert problem in err.value.problem
    assert str(path) in str(err.value)
    assert validate_file(path), "validate_file reports the same problem"


def test_broken_mapping_file(tmp_path: Path) -> None:
    path = tmp_path / "agent-model-mapping.json"
    path.write_text('{"tiers": {"ultra": "claude-opus-5"}}')
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path)
    assert err.value.path == str(path) and err.value.key.startswith("tiers")


def test_validate_file_lists_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "cost-optimization.json"
    path.write_text('{"timezone": "Nowhere/Else", "week_start": "funday", "budget_limits": {"daily": {"limit": 0}}}')
    problems = validate_file(path)
    assert len(problems) == 3
    assert any(p.startswith("timezone:") for p in problems)


def test_price_overrides_reach_the_ledger(tmp_path: Path) -> None:
    (tmp_path / "cost-optimization.json").write_text(
        json.dumps(
            {"pricing": {"models": {"claude-opus-5": {"input": 4, "output": 20}, "acme-1": {"input": 1, "output": 2}}}}
        )
    )
    m = ModelConfigManager(tmp_path / "x.db", tmp_path)
    assert m.track_usage("a", "claude-opus-5", 1_000_000, 1_000_000).total_cost == Decimal(24)
    rec = m.track_usage("a", "acme-1", 1_000_000, 1_000_000)
    assert rec.priced and rec.total_cost == Decimal(3)


def test_missing_explicit_config_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope")


def test_error_shows_the_bad_value_as_written(tmp_path: Path) -> None:
    (tmp_path / "cost-optimization.json").write_text('{"budget_limits": {"daily": {"limit": -5}}}')
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path)
    assert "(got -5)" in str(err.value)
