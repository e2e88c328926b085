"""The bulk path: chunks committed in order by a committer thread, checkpoints on a connection of their
own, and what a failure leaves behind."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core import CostTracker, InvalidUsage
from core import tracker as tracker_module
from core.errors import LedgerError
from core.store import BUCKET_US, DAY_BUCKETS
from core.store.bulk import CHECKPOINT_APART_MIN
from core.usage import validate_usage


@pytest.fixture
def tracker(tmp_path: Path) -> CostTracker:
    return CostTracker(tmp_path / "ledger.db")


def usages(n: int, *, start: datetime, prefix: str = "r", step_s: int = 37) -> list[dict[str, Any]]:
    return [
        {
            "agent_type": ("planner", "coder", "reviewer")[i % 3],
            "model_type": ("claude-sonnet-4-5", "claude-haiku-4-5", "mystery-model")[i % 3],
            "input_tokens": 1000 + i,
            "output_tokens": 10 + i % 7,
            "cache_read_input_tokens": (i % 5) * 100,
            "project_id": f"p{i % 4}" if i % 6 else None,
            "request_id": f"{prefix}{i}",
            "timestamp": start + timedelta(seconds=step_s * i),
        }
        for i in range(n)
    ]


def test_many_chunks_commit_everything_once_with_exact_rollups(tracker: CostTracker) -> None:
    start = datetime.now(UTC) - timedelta(days=3)
    items = usages(3 * CHECKPOINT_APART_MIN + 17, start=start)
    threads = threading.active_count()
    assert tracker.track_many(items, chunk=CHECKPOINT_APART_MIN) == (len(items), 0)
    # Again, with some new ones among them: only those are added.
    more = usages(50, start=start, prefix="extra")
    assert tracker.track_many(items[:2000] + more, chunk=CHECKPOINT_APART_MIN) == (50, 2000)
    rows = list(tracker.ledger.records())
    assert len(rows) == len(items) + 50
    for scope, key in (("*", None), ("agent:coder", "agent_type"), ("project:p1", "project_id")):
        mine = [r for r in rows if key is None or r[key] == scope.split(":", 1)[1]]
        totals = tracker.ledger.totals(scope)
        assert totals.ops == len(mine)
        assert totals.cost_pico == sum(r["cost_pico"] for r in mine)
        assert totals.input_tokens == sum(r["input_tokens"] for r in mine)
    assert tracker.ledger.totals("*").unpriced_ops == sum(1 for r in rows if not r["priced"])
    # Day rollups (summed from the rows by the bulk path) equal their 15-minute rollups.
    days = tracker.ledger.conn.execute("SELECT * FROM usage_totals_day ORDER BY scope, day").fetchall()
    from_buckets = tracker.ledger.conn.execute(
        f"SELECT scope, bucket / {DAY_BUCKETS}, SUM(ops), SUM(unpriced_ops), SUM(input_tokens), SUM(output_tokens), "
        "SUM(cache_write_tokens), SUM(cache_read_tokens), SUM(cost_pico) FROM usage_totals GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()
    assert days == from_buckets and len(days) > 10
    # The connection's settings are back; once the last checkpoint (left running) is done, the committer
    # and checkpointer threads are gone.
    assert tracker.ledger.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 4000
    tracker.ledger.settle()
    assert threading.active_count() == threads
    assert tracker.ledger.conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger'").fetchone()[0] == 6


def test_the_last_checkpoint_runs_on_after_the_call_and_close_waits_for_it(tmp_path: Path) -> None:
    tracker = CostTracker(tmp_path / "ledger.db")
    items = usages(CHECKPOINT_APART_MIN + 5, start=datetime.now(UTC) - timedelta(days=1))
    assert tracker.track_many(items, chunk=CHECKPOINT_APART_MIN) == (len(items), 0)
    left = list(tracker.ledger._background)
    assert len(left) == 1 and left[0].name == "model-config-checkpoint"
    # The ledger is usable meanwhile, with its own auto-checkpoints back on.
    assert tracker.ledger.totals("*").ops == len(items)
    assert tracker.ledger.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 4000
    tracker.ledger.close()
    assert not left[0].is_alive() and not tracker.ledger._background
    reopened = CostTracker(tmp_path / "ledger.db")
    assert reopened.ledger.totals("*").ops == len(list(reopened.ledger.records())) == len(items)
    reopened.ledger.close()


def test_a_bad_record_names_its_position_and_earlier_chunks_stay(tracker: CostTracker) -> None:
    items = usages(7, start=datetime.now(UTC) - timedelta(hours=1))
    items[5]["input_tokens"] = -1
    with pytest.raises(InvalidUsage, match=r"record 5: .*input_tokens"):
        tracker.track_many(items, chunk=2)
    # Chunks [0, 1] and [2, 3] were committed; [4, 5] was refused whole.
    assert sorted(r["request_id"] for r in tracker.ledger.records()) == ["r0", "r1", "r2", "r3"]
    assert tracker.ledger.totals("*").ops == 4
    with pytest.raises(InvalidUsage, match="record 1"):
        tracker.track_many([items[0], "not a record"])  # type: ignore[list-item]
    # Objects already validated are taken as they are; the position counts them.
    ready = validate_usage(items[6] | {"request_id": "ready"})
    with pytest.raises(InvalidUsage, match=r"record 2: .*output_tokens"):
        tracker.track_many([ready, items[0], items[1] | {"output_tokens": 1.5}])
    assert tracker.track_many([ready, items[6]]) == (2, 0)
    with pytest.raises(InvalidUsage, match="chunk"):
        tracker.track_many(items, chunk=0)


def test_a_failed_commit_is_raised_and_nothing_after_it_is_written(tracker: CostTracker) -> None:
    now = datetime.now(UTC)
    early = usages(2 * CHECKPOINT_APART_MIN, start=now - timedelta(days=2), prefix="early", step_s=1)
    late = usages(2 * CHECKPOINT_APART_MIN, start=now - timedelta(hours=3), prefix="late", step_s=1)
    # The rollups of the second chunk fail inside its commit half, on the committer thread.
    cutoff = int((now - timedelta(hours=4)).timestamp() * 1_000_000) // BUCKET_US
    tracker.ledger.conn.execute(
        "CREATE TEMP TRIGGER fail_late BEFORE INSERT ON main.usage_totals "
        f"WHEN NEW.bucket > {cutoff} BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
    )
    with pytest.raises(LedgerError, match="disk on fire"):
        tracker.track_many(early + late, chunk=CHECKPOINT_APART_MIN)
    rows = list(tracker.ledger.records())
    # Chunks 1-2 (early) were committed; chunk 3 rolled back whole; chunk 4 was never inserted.
    assert len(rows) == len(early) and {r["request_id"][:5] for r in rows} == {"early"}
    assert tracker.ledger.totals("*").ops == len(early)
    # The ledger is usable afterwards: the insert trigger is back and single writes work.
    tracker.ledger.conn.execute("DROP TRIGGER temp.fail_late")
    assert tracker.track_many(late, chunk=CHECKPOINT_APART_MIN) == (len(late), 0)
    assert tracker.ledger.totals("*").ops == len(early) + len(late)
    record = tracker.track_usage("one", "claude-haiku-4-5", 10, 10, request_id="single")
    assert tracker.ledger.totals("*").ops == len(early) + len(late) + 1 and not record.duplicate


def test_other_threads_write_while_a_bulk_insert_runs(tracker: CostTracker) -> None:
    items = usages(6 * CHECKPOINT_APART_MIN, start=datetime.now(UTC) - timedelta(days=1), step_s=1)
    singles: list[bool] = []
    started = threading.Event()

    def feed() -> Any:
        for n, item in enumerate(items):
            if n == CHECKPOINT_APART_MIN:
                started.set()
            yield item

    def single() -> None:
        started.wait()
        for i in range(20):
            rec = tracker.track_usage("side", "claude-haiku-4-5", 5, 5, request_id=f"side{i}")
            singles.append(rec.duplicate)

    side = threading.Thread(target=single)
    side.start()
    assert tracker.track_many(feed(), chunk=CHECKPOINT_APART_MIN) == (len(items), 0)
    side.join()
    assert singles == [False] * 20
    assert tracker.ledger.totals("*").ops == len(items) + 20 == tracker.ledger.count()


def test_overlapping_bulk_inserts_restore_auto_checkpoints_once_both_end(tracker: CostTracker) -> None:
    from core.store import USAGE_COLUMNS

    def rows(prefix: str) -> list[list[Any]]:
        items = usages(CHECKPOINT_APART_MIN, start=datetime.now(UTC) - timedelta(days=2), prefix=prefix)
        return [[tracker.build_row(validate_usage(u))[c] for c in USAGE_COLUMNS] for u in items]

    ledger = tracker.ledger

    def autocheckpoint() -> int:
        return int(ledger.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])

    # Lifetimes that overlap without nesting (two threads' imports, say): the first ends first.
    first, second = ledger.bulk(), ledger.bulk()
    first.__enter__()
    first.add(rows("a"))
    second.__enter__()
    second.add(rows("b"))
    assert autocheckpoint() == 0
    first.__exit__(None, None, None)
    assert autocheckpoint() == 0  # the second one still runs
    second.add(rows("c"))
    second.__exit__(None, None, None)
    assert autocheckpoint() == 4000
    assert (first.inserted, second.inserted) == (CHECKPOINT_APART_MIN, 2 * CHECKPOINT_APART_MIN)
    assert ledger.count() == ledger.totals("*").ops == 3 * CHECKPOINT_APART_MIN


def test_record_ids_are_unique_and_time_ordered_across_calls(tracker: CostTracker) -> None:
    start = datetime.now(UTC) - timedelta(days=1)
    tracker.track_many(usages(3000, start=start, prefix="a", step_s=1), chunk=1000)
    single = tracker.track_usage("one", "claude-haiku-4-5", 1, 1)
    tracker.track_many(usages(3000, start=start, prefix="b", step_s=1), chunk=1000)
    rows = list(tracker.ledger.conn.execute("SELECT id, record_id, request_id FROM usage ORDER BY id"))
    ids = [r[1] for r in rows]
    assert len(set(ids)) == len(ids) == 6001
    assert ids == sorted(ids)  # insertion order is id order: the unique index only appends
    assert single.record_id in ids


def test_the_heap_is_frozen_only_during_the_call_and_left_alone_when_frozen_already(tracker: CostTracker) -> None:
    import gc

    from core.heap import frozen_heap

    seen: list[int] = []
    real_validate = tracker_module.validate_many

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.get_freeze_count())
        return real_validate(*args, **kwargs)

    tracker_module.validate_many = spy
    try:
        assert gc.get_freeze_count() == 0
        tracker.track_many(usages(30, start=datetime.now(UTC) - timedelta(hours=2), step_s=1), chunk=10)
        assert len(seen) == 3 and all(n > 0 for n in seen)  # frozen while chunks are validated
        assert gc.get_freeze_count() == 0  # and thawed after
        # A process that froze objects itself keeps them frozen, before, during and after.
        gc.freeze()
        try:
            before = gc.get_freeze_count()
            with frozen_heap() as refreeze:
                refreeze()
                assert gc.get_freeze_count() == before
            assert gc.get_freeze_count() == before
        finally:
            gc.unfreeze()
    finally:
        tracker_module.validate_many = real_validate


def test_the_collector_is_paused_for_nested_and_concurrent_blocks_and_restored_as_it_was() -> None:
    import gc

    from core.heap import collector_paused

    assert gc.isenabled()
    first_in, second_out = threading.Event(), threading.Event()
    seen: list[bool] = []

    def other() -> None:
        with collector_paused():
            first_in.wait()
            seen.append(gc.isenabled())
        second_out.set()

    thread = threading.Thread(target=other)
    thread.start()
    with collector_paused():
        first_in.set()
        with collector_paused():
            seen.append(gc.isenabled())
        second_out.wait()  # the other block ended: still paused, this one has not
        seen.append(gc.isenabled())
    thread.join()
    assert seen == [False, False, False] and gc.isenabled()
    # A process that turned the collector off keeps it off.
    gc.disable()
    try:
        with pytest.raises(ZeroDivisionError), collector_paused():
            1 / 0  # noqa: B018
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_committer_that_cannot_start_leaves_the_ledger_usable(
    tracker: CostTracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_start = threading.Thread.start

    def start(self: threading.Thread) -> None:
        if self.name == "model-config-bulk-commit":
            raise RuntimeError("can't start new thread")
        real_start(self)

    monkeypatch.setattr(threading.Thread, "start", start)
    with pytest.raises(RuntimeError, match="start new thread"):
        tracker.track_many(usages(10, start=datetime.now(UTC) - timedelta(hours=1), step_s=1))
    # No thread is left waiting for a commit that will never come (this would hang, not fail, without it).
    assert tracker.ledger._idle.wait(timeout=5)
    assert tracker.ledger.count() == 0  # the chunk was rolled back
    done: list[bool] = []
    other = threading.Thread(
        target=lambda: done.append(not tracker.track_usage("x", "claude-haiku-4-5", 1, 1).duplicate)
    )
    other.start()
    other.join(timeout=10)
    assert done == [True]
