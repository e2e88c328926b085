"""Reporting commands, run as a subprocess: human tables and --json agree with the core library."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from core import ModelConfigManager
from core.cli import fmt


def manager() -> ModelConfigManager:
    return ModelConfigManager()


def without(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}


def test_status_with_the_installed_console_script(seeded, cli):
    r = cli("status", script=[str(Path(sys.executable).with_name("model-config"))])
    assert r.code == 0, r
    assert os.environ["MODEL_CONFIG_DB"] in r.out
    assert "built-in defaults" in r.out
    for period in ("daily", "weekly", "monthly"):
        assert period in r.out
    with manager() as m:
        today = m.check_budget("daily").current_spending
    assert f"{fmt.usd(today)} over 6 operation(s)" in r.out  # today's spend, as the daily budget counts it
    assert "Recent alerts" in r.out


def test_status_json(seeded, cli):
    r = cli("status", "--json")
    assert r.code == 0, r
    data = r.json()
    assert list(data) == [
        "database",
        "config",
        "today",
        "budgets",
        "worst_alert_level",
        "should_downgrade",
        "recent_alerts",
        "total_spending_all_time",
    ]
    assert data["database"]["path"] == os.environ["MODEL_CONFIG_DB"]
    assert data["database"]["records"] == seeded["records"]
    assert data["config"]["files"] == []
    assert data["config"]["search_dirs"] == [os.environ["MODEL_CONFIG_DIR"]]
    assert data["config"]["timezone"] == "UTC"
    with manager() as m:
        report = m.get_budget_report().model_dump(mode="json")
        start, end = m.cost_tracker.window(1)
        ops = m.ledger.totals("*", start, end).ops
    assert data["today"]["operations"] == ops == 6
    assert data["today"]["unpriced_operations"] == 1
    assert data["today"]["cost"] == report["periods"]["daily"]["current_spending"]
    assert [b["period"] for b in data["budgets"]] == ["daily", "weekly", "monthly"]
    moving = ("new_alerts", "forecasted_spending", "forecast_method")  # the forecast follows the clock
    assert [without(b, *moving) for b in data["budgets"]] == [without(b, *moving) for b in report["periods"].values()]
    assert data["total_spending_all_time"] == report["total_spending_all_time"]


def test_budget_table_and_json(seeded, cli):
    human = cli("budget")
    assert human.code == 0, human
    assert "PERIOD" in human.out and "FORECAST" in human.out
    assert "1 record(s) in these windows have no known price" in human.out
    data = cli("budget", "--json").json()
    assert set(data) >= {"generated_at", "timezone", "periods", "scoped", "worst_alert_level", "should_downgrade"}
    with manager() as m:
        weekly = m.check_budget("weekly").model_dump(mode="json")
    assert without(data["periods"]["weekly"], "new_alerts", "forecasted_spending", "forecast_method") == without(
        weekly, "new_alerts", "forecasted_spending", "forecast_method"
    )
    one = cli("budget", "--period", "monthly", "--json").json()
    assert [b["period"] for b in one["budgets"]] == ["monthly"]


def test_budget_check_exit_codes(seeded, cli, write_config):
    passed = cli("budget", "--check")
    assert passed.code == 0, passed
    assert "check passed" in passed.out
    with manager() as m:
        weekly = m.check_budget("weekly").current_spending
    # Daily far over its limit; weekly at 60% of its limit (info: above 50%, below critical).
    write_config(cost={"budget_limits": {"daily": {"limit": 1}, "weekly": {"limit": float(weekly / 6 * 10)}}})
    failed = cli("budget", "--check")
    assert failed.code == 3, failed
    assert "check failed: daily (global) exceeded" in failed.out
    as_json = cli("budget", "--check", "--json")
    assert as_json.code == 3 and as_json.json()["worst_alert_level"] == "exceeded"
    weekly_only = cli("budget", "--check", "--period", "weekly", "--json")
    assert weekly_only.code == 0 and weekly_only.json()["budgets"][0]["alert_level"] == "info"
    assert cli("budget", "--check", "--period", "weekly", "--fail-on", "info").code == 3


def test_scoped_budgets(seeded, cli, write_config):
    write_config(cost={"scoped_budgets": {"project:api": {"daily": {"limit": 0.5}}}})
    data = cli("budget", "--scope", "project:api", "--json").json()
    assert [(b["scope"], b["period"], b["alert_level"]) for b in data["budgets"]] == [
        ("project:api", "daily", "exceeded")
    ]
    report = cli("budget", "--json").json()
    assert [b["scope"] for b in report["scoped"]] == ["project:api"]
    missing = cli("budget", "--scope", "project:nope")
    assert missing.code == 2 and "no budget is configured for scope 'project:nope'" in missing.err
    bad = cli("budget", "--scope", "team:x")
    assert bad.code == 2 and "unknown budget scope" in bad.err


def test_dashboard_human_has_chart_and_tables(seeded, cli):
    r = cli("dashboard", "7")
    assert r.code == 0, r
    with manager() as m:
        dash = m.get_dashboard(7)
    assert f"Total ${dash.summary.total_cost:,.2f}" in r.out
    chart = r.out.split("Spend per day")[1].split("Top agents")[0].strip().splitlines()
    assert len(chart) == 7 and all("█" in line for line in chart)  # spend every day, bars scaled to the maximum
    biggest = max(dash.daily, key=lambda p: p.cost)
    assert sum(line.count("█") for line in chart if f"${biggest.cost:,.2f}" in line) >= 1
    for name in ("software-architect", "backend-engineer", "code-formatter", "claude-opus-5", "api", "web"):
        assert name in r.out
    assert "1 operation(s) used models with no known price" in r.out


def test_dashboard_json_equals_core(seeded, cli):
    data = cli("dashboard", "14", "--json").json()
    with manager() as m:
        assert data == m.get_dashboard(14).model_dump(mode="json")
    assert len(data["daily"]) == 14
    default = cli("dashboard", "--json").json()
    assert default["days"] == 7


def test_dashboard_long_window_groups_by_week(seeded, cli):
    r = cli("dashboard", "90")
    assert r.code == 0, r
    assert "Spend per week" in r.out and "wk " in r.out


def test_empty_ledger_reports(cli):
    dash = cli("dashboard")
    assert dash.code == 0 and "No usage recorded in this window" in dash.out
    recs = cli("recommendations")
    assert recs.code == 0 and "nothing to recommend yet" in recs.out
    assert cli("summary").out.strip().endswith("No usage recorded.")
    assert cli("history").out.strip().endswith("No usage recorded.")


def test_recommendations(seeded, cli):
    r = cli("recommendations", "--days", "7")
    assert r.code == 0, r
    assert "Move software-architect's low-complexity work from claude-opus-5 to claude-sonnet-5" in r.out
    assert "saves ~$" in r.out and "[right_size]" in r.out
    data = cli("recommendations", "--json").json()
    assert list(data) == ["days", "operations", "estimated_monthly_saving_usd", "recommendations"]
    with manager() as m:
        core_recs = [x.model_dump(mode="json") for x in m.get_optimization_recommendations(7)]
    assert data["recommendations"] == core_recs
    kinds = {x["kind"] for x in data["recommendations"]}
    assert {"right_size", "prompt_caching", "unpriced_model"} <= kinds
    assert data["estimated_monthly_saving_usd"] == round(sum(x["estimated_monthly_saving_usd"] for x in core_recs), 6)


def test_efficiency(seeded, cli):
    r = cli("efficiency", "software-architect", "--days", "30")
    assert r.code == 0, r
    with manager() as m:
        e = m.get_agent_efficiency("software-architect", 30)
    assert f"{e.efficiency_score:.1f}/100" in r.out
    assert "claude-opus-5" in r.out and "Opportunities" in r.out
    data = cli("efficiency", "software-architect", "--json").json()
    assert data == e.model_dump(mode="json")
    unknown = cli("efficiency", "nobody")
    assert unknown.code == 0 and "No usage recorded for 'nobody'" in unknown.out
    assert cli("efficiency").code == 2


def test_roi(seeded, cli):
    r = cli("roi", "--days", "30", "--hourly-rate", "120")
    assert r.code == 0, r
    assert "$120.00/h" in r.out and "Break-even" in r.out
    data = cli("roi", "--hourly-rate", "120", "--json").json()
    with manager() as m:
        assert data == m.calculate_roi(30, 120).model_dump(mode="json")
    assert data["assumptions"]["hourly_rate"] == 120
    bad = cli("roi", "--hourly-rate", "-3")
    assert bad.code == 2 and "must be a non-negative number" in bad.err


def test_summary_by_each_dimension(seeded, cli, run_main):
    for by in ("agent", "project", "session", "model", "date"):
        r = (cli if by == "agent" else run_main)("summary", "--by", by, "--days", "7", "--json")
        assert r.code == 0, r
        data = r.json()
        with manager() as m:
            expected = [s.model_dump(mode="json") for s in m.cost_tracker.get_summary(by, 7)]
        assert data["summaries"] == expected and len(expected) >= 2
    human = cli("summary", "--by", "project", "--agent", "backend-engineer")
    assert human.code == 0 and "web" in human.out and "api" in human.out and "Cost by project, all time" in human.out


def test_history(seeded, cli):
    r = cli("history", "--limit", "5", "--project", "api")
    assert r.code == 0, r
    lines = r.out.strip().splitlines()
    assert lines[0] == "Most recent 5 record(s)" and len(lines) == 7  # title, header, five rows
    assert all(" api " in line for line in lines[2:])
    data = cli("history", "--limit", "3", "--json").json()
    assert len(data["records"]) == 3 and data["records"][0]["record_id"]
    assert cli("history", "--limit", "0").code == 2


def test_models(cli, write_config):
    write_config(
        cost={"pricing": {"models": {"my-local-model": {"input": 1, "output": 2, "tier": "haiku"}}}},
        mapping={"agents": {"software-architect": "opus"}},
    )
    r = cli("models")
    assert r.code == 0, r
    assert "claude-sonnet-4-5" in r.out and "more above 200k input" in r.out
    assert "software-architect" in r.out and "configured price" in r.out
    data = cli("models", "--json").json()
    assert list(data) == ["tiers", "agents", "default_tier", "models"]
    assert data["tiers"] == {"opus": "claude-opus-5", "sonnet": "claude-sonnet-5", "haiku": "claude-haiku-4-5"}
    by_id = {m["id"]: m for m in data["models"]}
    assert by_id["claude-haiku-4-5"]["usd_per_mtok"] == {
        "input": 1,
        "output": 5,
        "cache_write_5m": 1.25,
        "cache_write_1h": 2,
        "cache_read": 0.1,
    }
    assert by_id["my-local-model"]["override"] is True and by_id["my-local-model"]["tier"] == "haiku"
    haiku = cli("models", "--tier", "haiku", "--json").json()["models"]
    assert haiku and {m["tier"] for m in haiku} == {"haiku"}


def test_select(cli):
    r = cli("select", "software-architect", "--task", "Design microservices architecture for e-commerce platform")
    assert r.code == 0, r
    assert r.out.startswith("claude-opus-5 (opus)")
    assert "Task complexity: high" in r.out and "Alternatives" in r.out
    data = cli("select", "code-formatter", "--profile", "fast", "--tokens", "5000", "--json").json()
    assert data["tier"] == "haiku" and data["cost_basis"]["estimated_tokens"] == 5000
    assert cli("select", "x", "--profile", "turbo").code == 2
