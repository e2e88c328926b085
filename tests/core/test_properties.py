"""Invariants, checked by hypothesis on generated usage."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import CostDimension, CostTracker
from core.pricing import PriceBook

MODELS = ["claude-opus-5", "claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-6", "claude-3-haiku", "mystery-x"]
counts = st.integers(min_value=0, max_value=400_000)
WHEN = datetime(2026, 2, 1, tzinfo=UTC)  # opus-4-6 still had its long-context tier then


@settings(max_examples=300, deadline=None)
@given(
    model=st.sampled_from(MODELS[:-1]),
    base=st.tuples(counts, counts, counts, counts, counts),
    field=st.integers(min_value=0, max_value=4),
    bump=st.integers(min_value=1, max_value=300_000),
    batch=st.booleans(),
)
def test_cost_is_monotonic_in_every_token_count(
    model: str, base: tuple[int, ...], field: int, bump: int, batch: bool
) -> None:
    book = PriceBook()
    inp, out, cw, cr, ws = base

    def cost(values: list[int]) -> int:
        i, o, w, r, s = values
        return book.price(
            model,
            WHEN,
            input_tokens=i,
            output_tokens=o,
            cache_creation_input_tokens=w,
            cache_read_input_tokens=r,
            web_search_requests=s,
            batch=batch,
        ).total_pico

    more = [inp, out, cw, cr, ws]
    more[field] += bump
    assert cost(more) >= cost([inp, out, cw, cr, ws])


usage = st.fixed_dictionaries(
    {
        "agent_type": st.sampled_from(["a", "b", "c-agent"]),
        "model_type": st.sampled_from(MODELS),
        "input_tokens": st.integers(0, 300_000),
        "output_tokens": st.integers(0, 50_000),
        "cache_read_input_tokens": st.integers(0, 100_000),
        "project_id": st.one_of(st.none(), st.sampled_from(["p1", "p2"])),
        "session_id": st.one_of(st.none(), st.sampled_from(["s1", "s2", "s3"])),
        "request_id": st.one_of(st.none(), st.sampled_from([f"req-{i}" for i in range(8)])),
        "minutes_ago": st.integers(0, 60 * 24 * 40),
    }
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=st.lists(usage, min_size=1, max_size=25), bulk=st.booleans(), chunk=st.integers(1, 30))
def test_dimension_totals_equal_grand_total_and_rows(batch: list[dict], bulk: bool, chunk: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tracker = CostTracker(Path(tmp) / "p.db")
        now = datetime.now(UTC)
        items = []
        for u in batch:
            u = dict(u)
            u["timestamp"] = now - timedelta(minutes=u.pop("minutes_ago"))
            items.append(u)
        if bulk:  # in chunks of any size: each commits on the committer thread
            tracker.track_many(items, chunk=chunk)
        else:
            for u in items:
                tracker.track_usage(**u)
        rows = list(tracker.ledger.records())
        distinct_requests = {u["request_id"] for u in items if u["request_id"]}
        assert len(rows) == sum(1 for u in items if not u["request_id"]) + len(distinct_requests)
        grand = sum(r["cost_pico"] for r in rows)
        for dim in (
            CostDimension.AGENT,
            CostDimension.MODEL,
            CostDimension.DATE,
            CostDimension.SESSION,
            CostDimension.PROJECT,
        ):
            summaries = tracker.get_summary(dim)
            covered = sum(s.total_cost for s in summaries)
            if dim in (CostDimension.AGENT, CostDimension.MODEL, CostDimension.DATE):
                assert covered * 10**12 == grand
                assert sum(s.record_count for s in summaries) == len(rows)
            else:  # records without a session/project are not in those groups
                key = "session_id" if dim is CostDimension.SESSION else "project_id"
                assert covered * 10**12 == sum(r["cost_pico"] for r in rows if r[key] is not None)
        assert tracker.ledger.totals("*").cost_pico == grand
        # Rollups are windows of rows: a window sum equals the rows in it.
        start = int((now - timedelta(days=10)).timestamp() * 1_000_000)
        assert tracker.ledger.totals("*", start).cost_pico == sum(r["cost_pico"] for r in rows if r["ts_us"] >= start)
        tracker.ledger.close()


@settings(max_examples=30, deadline=None)
@given(batch=st.lists(usage, min_size=1, max_size=10))
def test_tracking_the_same_requests_twice_changes_nothing(batch: list[dict]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tracker = CostTracker(Path(tmp) / "p.db")
        items = [
            dict(u, request_id=f"fixed-{i}", timestamp=datetime.now(UTC) - timedelta(minutes=u["minutes_ago"]))
            for i, u in enumerate(batch)
        ]
        for u in items:
            u.pop("minutes_ago")
        tracker.track_many(items)
        before = (tracker.ledger.count(), tracker.ledger.totals("*"), tracker.get_summary(CostDimension.AGENT))
        for u in items:
            assert tracker.track_usage(**u).duplicate
        assert tracker.track_many(items) == (0, len(items))
        after = (tracker.ledger.count(), tracker.ledger.totals("*"), tracker.get_summary(CostDimension.AGENT))
        assert before == after
        tracker.ledger.close()


# Values of every kind a caller may send, good and bad, for the bulk path's own validation.
_good_text = st.sampled_from(["a", " padded ", "Explore", "x" * 200])
_bad_text = st.sampled_from([None, "", "  ", "tab\there", "nul\x00", "x" * 201])
_texts = st.one_of(*[_good_text] * 12, _bad_text)  # mostly good: a record is refused for any one bad value
_good_count = st.integers(0, 10**6)
_bad_count = st.sampled_from([None, -1, 10**13, 1.0, 1.5, True, "7", float("nan")])
_counts_any = st.one_of(*[_good_count] * 12, _bad_count)
_recent = {"min_value": datetime(2020, 1, 1), "max_value": datetime(2026, 1, 1)}
_times = st.one_of(
    st.none(),
    st.datetimes(**_recent),
    st.datetimes(**_recent, timezones=st.just(UTC)),
    st.sampled_from(["2026-01-02T03:04:05Z", "2026-01-02T03:04:05", "1999-12-31T23:59:59+00:00", "soon", 1767225600]),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)),
)
_record = st.fixed_dictionaries(
    {"agent_type": _texts, "model_type": _texts, "input_tokens": _counts_any, "output_tokens": _counts_any},
    optional={
        "cache_creation_input_tokens": _counts_any,
        "cache_creation_5m_input_tokens": _counts_any,
        "cache_creation_1h_input_tokens": _counts_any,
        "cache_read_input_tokens": _counts_any,
        "web_search_requests": _counts_any,
        "project_id": _texts,
        "task_description": _texts,
        "timestamp": _times,
        "batch": st.sampled_from([True, False, 1, "yes"]),
        "unknown_key": st.just(1),
    },
)
_partial = st.dictionaries(st.sampled_from(["agent_type", "input_tokens"]), _texts)
raw_usage = st.one_of(*[_record] * 6, _partial)


@settings(max_examples=400, deadline=None)
@given(item=raw_usage, position=st.integers(0, 5))
def test_bulk_validation_accepts_refuses_and_normalizes_as_a_single_record(item: dict, position: int) -> None:
    from core.errors import InvalidUsage
    from core.usage import validate_many, validate_usage

    good = {"agent_type": "a", "model_type": "m", "input_tokens": 1, "output_tokens": 1}
    try:
        single = validate_usage(item).__dict__
    except InvalidUsage as exc:
        single_error = str(exc)
    else:
        single_error = None
    try:
        many = validate_many([good] * position + [item], first=10)
    except InvalidUsage as exc:
        assert single_error is not None and str(exc) == f"record {10 + position}: {single_error}"
    else:
        assert single_error is None and many[position] == single
