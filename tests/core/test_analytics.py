"""Dashboard, agent efficiency, ROI and recommendations computed from the ledger."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from core import InvalidUsage, ModelConfigManager


@pytest.fixture
def manager(tmp_path: Path) -> ModelConfigManager:
    return ModelConfigManager(tmp_path / "a.db", tmp_path)


def _fill(m: ModelConfigManager) -> None:
    now = datetime.now(UTC)
    # $1 per million input tokens on haiku-4-5, $5 on opus-5, $2 on sonnet-5.
    m.track_usage("architect", "claude-opus-5", 1_000_000, 0, project_id="shop", task_description="Fix typo in README")
    m.track_usage(
        "architect",
        "claude-opus-5",
        2_000_000,
        0,
        project_id="shop",
        task_description="Design the payment architecture",
        timestamp=now - timedelta(days=2),
    )
    m.track_usage("engineer", "claude-sonnet-5", 1_000_000, 0, project_id="blog", task_description="Rename a variable")
    m.track_usage(
        "engineer",
        "claude-sonnet-5",
        1_000_000,
        0,
        task_description="Implement the search endpoint",
        timestamp=now - timedelta(days=20),
    )
    m.track_usage("explorer", "claude-haiku-4-5", 1_000_000, 0, cache_read_input_tokens=2_000_000)


def test_dashboard_totals_shares_and_series(manager: ModelConfigManager) -> None:
    _fill(manager)
    d = manager.get_dashboard(7)
    assert d["summary"]["total_cost"] == Decimal("18.2")  # 5 + 10 + 2 + (1 + 0.2 cache read)
    assert d["summary"]["total_operations"] == 4
    assert d["summary"]["average_cost_per_operation"] == Decimal("4.55")
    assert [a["agent_type"] for a in d["top_agents"]] == ["architect", "engineer", "explorer"]
    assert d["top_agents"][0]["percentage"] == pytest.approx(100 * 15 / 18.2, abs=1e-3)
    dist = d["model_distribution"]
    assert dist["claude-opus-5"]["total_cost"] == Decimal(15) and dist["claude-opus-5"]["operations"] == 2
    assert sum(s["percentage_operations"] for s in dist.values()) == pytest.approx(100)
    assert len(d.daily) == 7 and sum(p.cost for p in d.daily) == Decimal("18.2")
    assert {p.project_id: p.cost for p in d.projects} == {"shop": Decimal(15), "blog": Decimal(2)}
    month = manager.get_dashboard(30)
    assert month.summary.total_operations == 5 and len(month.daily) == 30
    json.dumps(d.model_dump(mode="json"))  # serialisable as is


def test_agent_efficiency_score_is_explained(manager: ModelConfigManager) -> None:
    _fill(manager)
    eff = manager.get_agent_efficiency("architect")
    assert eff.total_operations == 2 and eff.total_cost == Decimal(15)
    assert eff.preferred_model == "claude-opus-5"
    # $5 of $15 was low-complexity work on Opus: right-sizing earns 40 x (1 - 5/15).
    assert eff.score_breakdown["right_sizing"] == pytest.approx(26.67, abs=0.01)
    assert eff.efficiency_score == pytest.approx(sum(eff.score_breakdown.values()), abs=0.1)
    assert any("tier above" in o for o in eff.optimization_opportunities)
    cached = manager.get_agent_efficiency("explorer")
    assert cached.cache_hit_ratio == pytest.approx(2 / 3, abs=1e-4) and cached.score_breakdown["cache_use"] == 30
    empty = manager.get_agent_efficiency("nobody")
    assert empty.total_operations == 0 and empty.efficiency_score == 0
    with pytest.raises(InvalidUsage):
        manager.get_agent_efficiency("")


def test_roi_uses_ledger_and_returns_assumptions(manager: ModelConfigManager, tmp_path: Path) -> None:
    _fill(manager)
    roi = manager.calculate_roi(30, 100.0)
    assert roi.total_cost == Decimal("20.2") and roi.total_operations == 5
    # 5 ops x 6 minutes x 50% realised = 15 minutes at $100/hour
    assert roi.estimated_time_saved_hours == 0.25
    assert roi.estimated_labor_cost_saved == Decimal("25.00")
    assert roi.net_benefit == Decimal("4.80")
    assert roi.roi_percentage == pytest.approx((25 - 20.2) / 20.2 * 100, abs=0.1)
    assert roi.assumptions.hourly_rate == 100.0 and roi.assumptions.minutes_saved_per_operation == 6.0
    assert roi.breakeven_operations == 5 and roi.breakeven_point.startswith("reached")  # $20.2 / $5 per op
    custom = ModelConfigManager(tmp_path / "a.db", _cfg(tmp_path, {"roi": {"minutes_saved_per_operation": 0}}))
    assert custom.calculate_roi(30).breakeven_point.startswith("never")
    with pytest.raises(InvalidUsage):
        manager.calculate_roi(0)


def _cfg(tmp_path: Path, data: dict) -> Path:
    d = tmp_path / "cfg2"
    d.mkdir(exist_ok=True)
    (d / "cost-optimization.json").write_text(json.dumps(data))
    return d


def test_recommendations_name_a_saving_computed_from_the_ledger(manager: ModelConfigManager) -> None:
    _fill(manager)
    recs = manager.get_optimization_recommendations(7)
    right = [r for r in recs if r.kind == "right_size"]
    by_agent = {r.agent_type: r for r in right}
    opus = by_agent["architect"]
    # 1M low-complexity input tokens on Opus ($5) would cost $2 on Sonnet 5: $3 saved in 7 days -> x30/7.
    assert opus.evidence["actual_cost_usd"] == "5" and opus.evidence["alternative_cost_usd"] == "2"
    assert opus.estimated_monthly_saving_usd == Decimal("12.86")
    sonnet = by_agent["engineer"]  # low-complexity work on Sonnet -> Haiku: $2 -> $1
    assert sonnet.evidence["alternative_model"] == "claude-haiku-4-5"
    assert recs[0].estimated_monthly_saving_usd >= recs[-1].estimated_monthly_saving_usd
    assert "saves ~$" in str(opus)


def test_recommendations_flag_unpriced_models_and_caching(manager: ModelConfigManager) -> None:
    manager.track_usage("bot", "acme-unknown", 10, 10)
    manager.track_usage("reader", "claude-sonnet-5", 4_000_000, 0)
    kinds = {r.kind: r for r in manager.get_optimization_recommendations(7)}
    assert kinds["unpriced_model"].model == "acme-unknown"
    caching = kinds["prompt_caching"]
    # half of 4M uncached tokens at $2 instead of $0.20: $3.60 in 7 days
    assert Decimal(caching.evidence["window_saving_usd"]) == Decimal("3.6")


def test_exports(manager: ModelConfigManager, tmp_path: Path) -> None:
    _fill(manager)
    path = manager.export_analytics(tmp_path / "report.json", days=30)
    report = json.loads(path.read_text())
    assert report["dashboard"]["summary"]["total_operations"] == 5
    assert {"budget_report", "roi", "recommendations", "agent_efficiency"} <= report.keys()
    assert manager.export_cost_history(tmp_path / "history.csv") == 5
