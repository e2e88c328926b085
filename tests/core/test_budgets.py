"""Calendar-window budgets, alerts recorded once, forecasts, auto-downgrade."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from core import AlertLevel, BudgetPeriod, InvalidUsage, ModelConfigManager
from core.windows import window_for


def _manager(tmp_path: Path, config: dict | None = None) -> ModelConfigManager:
    cfg = tmp_path / "cfg"
    cfg.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (cfg / "cost-optimization.json").write_text(json.dumps(config))
    return ModelConfigManager(tmp_path / "b.db", cfg)


def _spend(m: ModelConfigManager, usd: int, **kw: object) -> object:
    # claude-haiku-4-5 input costs $1 per million tokens: one million tokens per dollar.
    return m.track_usage("agent", "claude-haiku-4-5", usd * 1_000_000, 0, **kw)


@pytest.mark.parametrize(
    ("spent", "level"),
    [
        (0, "ok"),
        (4, "ok"),
        (5, "info"),
        (7, "info"),
        (8, "warning"),
        (9, "critical"),
        (10, "exceeded"),
        (25, "exceeded"),
    ],
)
def test_alert_levels_at_the_thresholds(tmp_path: Path, spent: int, level: str) -> None:
    m = _manager(tmp_path)
    if spent:
        _spend(m, spent)
    status = m.check_budget(BudgetPeriod.DAILY)
    assert status.alert_level == level
    assert status.current_spending == Decimal(spent)
    assert status.remaining_budget == Decimal(10) - spent
    assert status.budget_limit == Decimal(10)


def test_exact_threshold_is_reached_without_float_error(tmp_path: Path) -> None:
    m = _manager(tmp_path, {"budget_limits": {"daily": {"limit": 0.3}}})
    m.track_usage("a", "claude-haiku-4-5", 270_000, 0)  # $0.27 = exactly 90% of $0.30
    assert m.check_budget().alert_level == AlertLevel.CRITICAL


def test_each_alert_is_new_exactly_once(tmp_path: Path) -> None:
    m = _manager(tmp_path)
    first = _spend(m, 5)
    assert [a.level for a in first.new_alerts] == ["info"]
    assert _spend(m, 1).new_alerts == []  # still info: not new
    jump = _spend(m, 4)  # 10: warning, critical and exceeded crossed at once
    assert {(a.period, a.level) for a in jump.new_alerts} == {
        ("daily", "warning"),
        ("daily", "critical"),
        ("daily", "exceeded"),
    }
    assert m.check_budget().new_alerts == []
    report = m.get_budget_report()
    assert {a.level for a in report.recent_alerts} == {"info", "warning", "critical", "exceeded"}


def test_windows_are_calendar_windows_in_the_configured_zone(tmp_path: Path) -> None:
    m = _manager(tmp_path, {"timezone": "Asia/Kolkata", "week_start": "sunday"})
    now = datetime.now(UTC)
    local_midnight = now.astimezone(ZoneInfo("Asia/Kolkata")).replace(hour=0, minute=0, second=0, microsecond=0)
    m.track_usage("a", "claude-haiku-4-5", 1_000_000, 0, timestamp=local_midnight - timedelta(minutes=1))
    m.track_usage("a", "claude-haiku-4-5", 2_000_000, 0, timestamp=local_midnight)
    daily = m.check_budget("daily")
    assert daily.window_start == local_midnight
    assert daily.current_spending == Decimal(2)
    assert daily.timezone == "Asia/Kolkata"
    weekly = m.check_budget("weekly")
    assert weekly.window_start.weekday() == 6  # Sunday


def test_window_arithmetic_across_dst_and_month_ends() -> None:
    paris = ZoneInfo("Europe/Paris")
    dst_day = window_for(BudgetPeriod.DAILY, datetime(2026, 3, 29, 12, tzinfo=UTC), paris)
    assert dst_day.length == timedelta(hours=23)
    month = window_for(BudgetPeriod.MONTHLY, datetime(2026, 2, 28, 23, 30, tzinfo=UTC), paris)
    assert (month.start.month, month.end.month, month.start.day) == (3, 4, 1)  # already March in Paris
    week = window_for(BudgetPeriod.WEEKLY, datetime(2026, 11, 25, tzinfo=UTC), paris, "monday")
    assert week.start.weekday() == 0 and week.length == timedelta(days=7)


def test_scoped_budgets_count_only_their_scope(tmp_path: Path) -> None:
    m = _manager(
        tmp_path, {"scoped_budgets": {"project:shop": {"daily": {"limit": 2}}, "agent:bot": {"daily": {"limit": 1}}}}
    )
    _spend(m, 1, project_id="shop")
    _spend(m, 3, project_id="blog")
    assert m.check_budget("daily", scope="project:shop").current_spending == Decimal(1)
    assert m.check_budget("daily", scope="project:shop").alert_level == "info"
    rec = m.track_usage("bot", "claude-haiku-4-5", 1_000_000, 0)
    assert ("agent:bot", "exceeded") in {(a.scope, a.level) for a in rec.new_alerts}
    with pytest.raises(InvalidUsage, match="no daily budget"):
        m.check_budget("daily", scope="project:unknown")
    with pytest.raises(InvalidUsage, match="unknown budget scope"):
        m.check_budget("daily", scope="team:x")


def test_unknown_period_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidUsage, match="daily, weekly or monthly"):
        _manager(tmp_path).check_budget("yearly")


def test_forecast_is_none_without_data_and_says_its_method(tmp_path: Path) -> None:
    m = _manager(tmp_path)
    now = datetime.now(UTC)
    early = m.budget_manager.window(BudgetPeriod.MONTHLY, now).start + timedelta(hours=1)
    status = m.budget_manager.check_budget("monthly", now=early)
    assert status.forecasted_spending is None and "insufficient data" in (status.forecast_method or "")


def test_forecast_from_run_rate_and_history(tmp_path: Path) -> None:
    m = _manager(tmp_path)
    bm = m.budget_manager
    now = datetime.now(UTC)
    today = bm.window(BudgetPeriod.DAILY, now)
    noon = today.start + (today.end - today.start) / 2
    m.track_usage("a", "claude-haiku-4-5", 3_000_000, 0, timestamp=min(noon, now) - timedelta(hours=1))
    run_rate = bm.check_budget("daily", now=noon)
    if noon <= now:
        assert run_rate.forecasted_spending == Decimal(6)  # $3 in half a day -> $6
        assert "current run rate" in (run_rate.forecast_method or "")
    # Three earlier complete days at $1/day pull the forecast towards history.
    for back in (1, 2, 3):
        m.track_usage(
            "a", "claude-haiku-4-5", 1_000_000, 0, timestamp=today.start - timedelta(days=back) + timedelta(hours=1)
        )
    blended = bm.check_budget("daily", now=noon)
    assert "blended" in (blended.forecast_method or "")
    assert blended.forecasted_spending is not None
    spent = blended.current_spending
    assert spent + Decimal("0.5") <= blended.forecasted_spending <= spent + Decimal(3)


def test_should_downgrade_follows_auto_downgrade_and_critical(tmp_path: Path) -> None:
    m = _manager(tmp_path)
    _spend(m, 8)
    assert not m.should_downgrade_model()
    _spend(m, 1)
    assert m.should_downgrade_model()
    off = _manager(tmp_path / "off", {"budget_limits": {"daily": {"limit": 10, "auto_downgrade": False}}})
    _spend(off, 9)
    assert not off.should_downgrade_model("daily")


def test_budget_report_has_all_periods(tmp_path: Path) -> None:
    m = _manager(tmp_path)
    _spend(m, 2)
    report = m.get_budget_report()
    assert set(report["periods"]) == {"daily", "weekly", "monthly"}
    assert report["periods"]["weekly"]["current_spending"] == Decimal(2)
    assert report.worst_alert_level == "ok" and report.total_spending_all_time == Decimal(2)
