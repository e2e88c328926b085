"""Recording usage: validation at the boundary, idempotency, unknown models, summaries and exports."""

from __future__ import annotations

import csv
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from core import CostDimension, CostTracker, InvalidUsage
from core.errors import ExportPathError


@pytest.fixture
def tracker(tmp_path: Path) -> CostTracker:
    return CostTracker(tmp_path / "ledger.db")


def _rows(t: CostTracker) -> int:
    return t.ledger.count()


def test_track_usage_prices_and_stores(tracker: CostTracker) -> None:
    rec = tracker.track_usage(
        "backend-engineer",
        "claude-sonnet-4-5",
        30_000,
        10_000,
        project_id="api",
        session_id="s1",
        task_description="Implement authentication endpoints",
    )
    assert rec.total_cost == Decimal("0.24")
    assert (rec.input_cost, rec.output_cost) == (Decimal("0.09"), Decimal("0.15"))
    assert rec.priced_model == "claude-sonnet-4-5" and rec.complexity == "medium"
    assert _rows(tracker) == 1
    stored = tracker.get_records()[0]
    assert stored.record_id == rec.record_id and stored.total_cost == rec.total_cost


def test_cache_split_and_totals(tracker: CostTracker) -> None:
    rec = tracker.track_usage(
        "a",
        "claude-haiku-4-5",
        3,
        212,
        cache_creation_input_tokens=3117,
        cache_creation_1h_input_tokens=117,
        cache_read_input_tokens=14723,
    )
    assert rec.cache_creation_5m_input_tokens == 3000
    assert rec.total_tokens == 3 + 212 + 3117 + 14723
    only_parts = tracker.track_usage(
        "a", "claude-haiku-4-5", 1, 1, cache_creation_5m_input_tokens=10, cache_creation_1h_input_tokens=5
    )
    assert only_parts.cache_creation_input_tokens == 15


def test_same_request_id_returns_existing_record_and_adds_nothing(tracker: CostTracker) -> None:
    first = tracker.track_usage("a", "claude-opus-5", 100, 100, request_id="req-1")
    again = tracker.track_usage("a", "claude-opus-5", 999, 999, request_id="req-1")
    assert again.duplicate and not first.duplicate
    assert again.record_id == first.record_id and again.input_tokens == 100
    assert _rows(tracker) == 1
    assert tracker.get_summary(CostDimension.AGENT)[0].total_cost == first.total_cost


def test_unknown_model_is_recorded_unpriced(tracker: CostTracker) -> None:
    rec = tracker.track_usage("a", "mystery-model-9", 1_000, 500)
    assert not rec.priced and rec.total_cost == 0 and rec.input_tokens == 1_000
    (summary,) = tracker.get_summary(CostDimension.MODEL)
    assert summary.dimension_value == "mystery-model-9" and summary.unpriced_records == 1
    assert tracker.get_model_distribution()["mystery-model-9"]["unpriced_operations"] == 1


BAD_INPUTS = [
    ({"input_tokens": -1}, "input_tokens"),
    ({"output_tokens": 1.5}, "output_tokens"),
    ({"input_tokens": math.nan}, "input_tokens"),
    ({"input_tokens": math.inf}, "input_tokens"),
    ({"input_tokens": "100"}, "input_tokens"),
    ({"input_tokens": True}, "input_tokens"),
    ({"agent_type": ""}, "agent_type"),
    ({"agent_type": "   "}, "agent_type"),
    ({"agent_type": None}, "agent_type"),
    ({"model_type": ""}, "model_type"),
    ({"task_description": "x" * 10_000_000}, "task_description"),
    ({"project_id": "bad\x00id"}, "project_id"),
    ({"cache_creation_input_tokens": 10, "cache_creation_1h_input_tokens": 11}, "cache_creation"),
    (
        {"cache_creation_input_tokens": 10, "cache_creation_5m_input_tokens": 3, "cache_creation_1h_input_tokens": 3},
        "must equal",
    ),
    ({"timestamp": datetime.now(UTC) + timedelta(days=2)}, "future"),
    ({"timestamp": "not a date"}, "timestamp"),
]


@pytest.mark.parametrize(("override", "mentions"), BAD_INPUTS, ids=[m for _, m in BAD_INPUTS])
def test_bad_input_gives_a_clear_error_and_no_write(tracker: CostTracker, override: dict, mentions: str) -> None:
    args = {"agent_type": "a", "model_type": "claude-haiku-4-5", "input_tokens": 1, "output_tokens": 1} | override
    with pytest.raises(InvalidUsage) as err:
        tracker.track_usage(**args)
    message = str(err.value)
    assert mentions in message and "nothing recorded" in message
    assert len(message) < 600  # a 10 MB description is not echoed back
    assert _rows(tracker) == 0


def test_bulk_path_validates_everything_it_writes(tracker: CostTracker) -> None:
    good = [
        {
            "agent_type": "a",
            "model_type": "claude-haiku-4-5",
            "input_tokens": i,
            "output_tokens": 1,
            "request_id": f"r{i}",
        }
        for i in range(10)
    ]
    assert tracker.track_many(good) == (10, 0)
    assert tracker.track_many(
        good[:5]
        + [
            {
                "agent_type": "b",
                "model_type": "claude-haiku-4-5",
                "input_tokens": 1,
                "output_tokens": 1,
                "request_id": "new",
            }
        ]
    ) == (1, 5)
    with pytest.raises(InvalidUsage, match="record 1"):
        tracker.track_many([good[0] | {"request_id": "x"}, good[0] | {"input_tokens": -5}])
    assert _rows(tracker) == 11


def test_timestamps_place_records_in_local_days(tmp_path: Path) -> None:
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "cost-optimization.json").write_text('{"timezone": "America/New_York"}')
    t = CostTracker(tmp_path / "x.db", config_dir=tmp_path / "cfg")
    now = datetime.now(UTC)
    t.track_usage("a", "claude-haiku-4-5", 1_000_000, 0, timestamp=now - timedelta(days=1))
    t.track_usage("a", "claude-haiku-4-5", 2_000_000, 0, timestamp=now)
    daily = t.get_daily_costs(3)
    assert list(daily.values())[-2:] == [Decimal(1), Decimal(2)]
    local_today = now.astimezone(t.zone).date().isoformat()
    assert list(daily)[-1] == local_today


def test_summaries_by_every_dimension(tracker: CostTracker) -> None:
    tracker.track_usage("a", "claude-haiku-4-5", 1_000_000, 0, project_id="p1", session_id="s1")
    tracker.track_usage("a", "claude-sonnet-5", 1_000_000, 0, project_id="p2", session_id="s1")
    tracker.track_usage("b", "claude-sonnet-5", 1_000_000, 0, session_id="s2")
    by = {d: {s.dimension_value: s.total_cost for s in tracker.get_summary(d)} for d in CostDimension}
    assert by[CostDimension.AGENT] == {"a": Decimal(3), "b": Decimal(2)}
    assert by[CostDimension.PROJECT] == {"p1": Decimal(1), "p2": Decimal(2)}
    assert by[CostDimension.SESSION] == {"s1": Decimal(3), "s2": Decimal(2)}
    assert by[CostDimension.MODEL] == {"claude-sonnet-5": Decimal(4), "claude-haiku-4-5": Decimal(1)}
    assert sum(by[CostDimension.DATE].values()) == Decimal(5)
    filtered = tracker.get_summary(CostDimension.MODEL, filters={"agent_type": "a"})
    assert {s.dimension_value: s.total_cost for s in filtered} == {
        "claude-sonnet-5": Decimal(2),
        "claude-haiku-4-5": Decimal(1),
    }
    with pytest.raises(InvalidUsage, match="unknown dimension"):
        tracker.get_summary("colour")
    with pytest.raises(InvalidUsage, match="days must be"):
        tracker.get_summary(CostDimension.AGENT, days=0)


def test_csv_export_is_complete_and_exact(tracker: CostTracker, tmp_path: Path) -> None:
    for i in range(25):
        tracker.track_usage(f"agent-{i % 3}", "claude-sonnet-4-5", 1_000 + i, 7, task_description=f'task, "{i}"')
    out = tmp_path / "costs.csv"
    assert tracker.export_to_csv(out, days=30) == 25
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 25
    assert sum(Decimal(r["total_cost_usd"]) for r in rows) == sum(s.total_cost for s in tracker.get_summary())
    assert rows[3]["task_description"] == 'task, "3"'
    assert not list(tmp_path.glob(".costs.csv.*"))  # no temp file left behind
    with pytest.raises(ExportPathError):
        tracker.export_to_csv(tmp_path / "missing-dir" / "x.csv")
