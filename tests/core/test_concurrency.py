"""Several processes on one ledger file: exact totals, one row per request, no `database is locked`.

Each test starts real worker processes (this file run as a script), holds them at a file barrier
until all are ready, then lets them contend on the same SQLite file at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

MODELS = ["claude-sonnet-4-5-20250929", "claude-opus-5", "claude-haiku-4-5", "claude-sonnet-5", "claude-opus-4-1"]
AGENTS = ["backend-engineer", "code-reviewer", "explorer", "architect"]
PROJECTS = ["web-app", "billing", None]
START_TIMEOUT_S = 60


# -- the worker side -------------------------------------------------------------------------


def usage_for(worker: int, i: int) -> dict[str, Any]:
    """A varied usage report: timestamps over the last three days (every tenth one now), some cache use."""
    k = worker * 100_003 + i
    return {
        "agent_type": AGENTS[k % len(AGENTS)],
        "model_type": MODELS[k % len(MODELS)],
        "input_tokens": 100 + (k * 7919) % 20_000,
        "output_tokens": 10 + (k * 104_729) % 4_000,
        "project_id": PROJECTS[k % len(PROJECTS)],
        "session_id": f"s{worker}-{i // 50}",
        "task_description": "Fix the flaky test in the scheduler" if k % 5 == 0 else None,
        "cache_read_input_tokens": (k * 31) % 30_000 if k % 2 else 0,
        "cache_creation_input_tokens": (k * 17) % 5_000 if k % 3 == 0 else 0,
        "request_id": f"req-{worker}-{i}",
        "timestamp": None if k % 10 == 0 else datetime.now(UTC) - timedelta(seconds=(k * 977) % (3 * 86_400)),
    }


def _barrier(directory: Path, name: str) -> None:
    (directory / f"ready-{name}").touch()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not (directory / "go").exists():
        if time.monotonic() > deadline:
            raise SystemExit("barrier: never released")
        time.sleep(0.0005)


def _record(rec: Any) -> dict[str, Any]:
    return {k: str(v) for k, v in rec.model_dump(exclude={"new_alerts"}).items()} | {
        "new_alerts": [[a.scope, a.period.value, a.level.value] for a in rec.new_alerts]
    }


def worker_main(argv: list[str]) -> None:
    from core import CostTracker, ModelConfigManager

    mode, db, directory, name = argv[0], argv[1], Path(argv[2]), argv[3]
    out: dict[str, Any] = {"records": [], "errors": [], "reads": []}
    if mode in ("track", "manager"):
        count, worker = int(argv[4]), int(argv[5])
        target = ModelConfigManager(db) if mode == "manager" else CostTracker(db)
        _barrier(directory, name)
        out["started"] = time.time()
        for i in range(count):
            out["records"].append(_record(target.track_usage(**usage_for(worker, i))))
        out["finished"] = time.time()
    elif mode == "race":
        ids = int(argv[4])
        tracker = CostTracker(db)
        _barrier(directory, name)
        for i in range(ids):
            rec = tracker.track_usage("racer", "claude-sonnet-4-5", 1_000 + i, 100, request_id=f"race-{i}")
            out["records"].append(_record(rec))
    elif mode == "reader":
        manager = ModelConfigManager(db)
        _barrier(directory, name)
        exports = dashboards = 0
        while not (directory / "stop").exists() or dashboards < 3:
            try:
                manager.get_dashboard(30)
                dashboards += 1
                manager.check_budget("monthly")
                if dashboards % 3 == 1:  # a long read: one read transaction over every row of the month
                    started = time.time()
                    manager.export_cost_history(directory / f"export-{name}.csv", 30)
                    out["reads"].append([started, time.time()])
                    exports += 1
            except Exception as exc:  # reported to the test, which fails on any error
                out["errors"].append(repr(exc))
        out["dashboards"], out["exports"] = dashboards, exports
    elif mode == "bulk":
        count, worker = int(argv[4]), int(argv[5])
        tracker = CostTracker(db)
        _barrier(directory, name)
        out["started"] = time.time()
        new, dup = tracker.track_many((usage_for(worker, i) for i in range(count)), chunk=1_000)
        out["new"], out["duplicates"], out["finished"] = new, dup, time.time()
    (directory / f"result-{name}.json").write_text(json.dumps(out))


# -- the test side ---------------------------------------------------------------------------


def run_workers(
    tmp: Path, db: Path, jobs: dict[str, list[str]], *, until_done: list[str] | None = None
) -> dict[str, Any]:
    """Start every job, release them together, wait; `until_done` jobs finishing stops the others."""
    directory = tmp / "sync"
    directory.mkdir()
    procs = {
        name: subprocess.Popen(
            [sys.executable, __file__, args[0], str(db), str(directory), name, *args[1:]],
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, args in jobs.items()
    }
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not all((directory / f"ready-{n}").exists() for n in procs):
            for n, p in procs.items():
                if p.poll() is not None:
                    raise AssertionError(f"worker {n} died before the barrier: {p.communicate()[1]}")
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.01)
        (directory / "go").touch()
        if until_done:
            for n in until_done:
                procs[n].wait(timeout=120)
            (directory / "stop").touch()
        stderr = {n: p.communicate(timeout=120)[1] for n, p in procs.items()}
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
    for n, p in procs.items():
        assert "database is locked" not in stderr[n], stderr[n]
        assert p.returncode == 0, f"worker {n} failed:\n{stderr[n]}"
    return {n: json.loads((directory / f"result-{n}.json").read_text()) for n in procs}


def reference_pico(usage: dict[str, Any], when: datetime) -> int:
    """The record's cost from genai-prices itself (not from core.pricing), in pico-dollars."""
    from genai_prices import Usage, calc_price

    cw, cr = usage["cache_creation_input_tokens"], usage["cache_read_input_tokens"]
    price = calc_price(
        Usage(
            input_tokens=usage["input_tokens"] + cw + cr,
            output_tokens=usage["output_tokens"],
            cache_write_tokens=cw,
            cache_read_tokens=cr,
        ),
        model_ref=usage["model_type"],
        provider_id="anthropic",
        genai_request_timestamp=when,
    ).total_price
    pico = price * 10**12
    assert pico == pico.to_integral_value()
    return int(pico)


def assert_rollups_equal_rows(db: Path) -> None:
    """Every 15-minute rollup equals its rows' sums, and every day rollup its buckets' sums."""
    import sqlite3

    from core.store import BUCKET_US

    cols = "1 - priced, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens, cost_pico"
    scopes = ["'*'", "'agent:' || agent_type", "'model:' || COALESCE(priced_model, model)", "'project:' || project_id"]
    raw = " UNION ALL ".join(
        f"SELECT {s} AS scope, ts_us / {BUCKET_US} AS bucket, {cols} FROM usage"
        + (" WHERE project_id IS NOT NULL" if "project" in s else "")
        for s in scopes
    )
    conn = sqlite3.connect(db)
    try:
        from_rows = conn.execute(
            f'SELECT scope, bucket, COUNT(*), SUM("1 - priced"), SUM(input_tokens), SUM(output_tokens), '
            f"SUM(cache_write_tokens), SUM(cache_read_tokens), SUM(cost_pico) FROM ({raw}) GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
        rollups = conn.execute("SELECT * FROM usage_totals WHERE ops != 0 ORDER BY 1, 2").fetchall()
        assert rollups == from_rows
        days = conn.execute("SELECT * FROM usage_totals_day WHERE ops != 0 ORDER BY 1, 2").fetchall()
        from_buckets = conn.execute(
            "SELECT scope, bucket / 96, SUM(ops), SUM(unpriced_ops), SUM(input_tokens), SUM(output_tokens), "
            "SUM(cache_write_tokens), SUM(cache_read_tokens), SUM(cost_pico) FROM usage_totals WHERE ops != 0 "
            "GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
        assert days == from_buckets
    finally:
        conn.close()


def test_four_writers_give_exact_rows_and_totals(tmp_path: Path) -> None:
    from core.store import Ledger

    db = tmp_path / "shared.db"
    Ledger(str(db)).close()  # the schema exists before the race (creating it concurrently is tested below)
    # Small budgets, so that two processes evaluating alerts at once cross every threshold.
    limits = {"daily": {"limit": 1}, "weekly": {"limit": 5}, "monthly": {"limit": 20}}
    (Path(os.environ["MODEL_CONFIG_DIR"]) / "cost-optimization.json").write_text(json.dumps({"budget_limits": limits}))
    jobs = {f"w{w}": ["manager" if w % 2 else "track", "500", str(w)] for w in range(4)}
    results = run_workers(tmp_path, db, jobs)

    ledger = Ledger(str(db))
    assert ledger.count() == 2_000
    # The writers really ran at once: in commit order, rows of different workers alternate (one after
    # the other would alternate 3 times; on 2 cores each process commits runs of a few dozen rows).
    order = [r[0].split("-")[1] for r in ledger.conn.execute("SELECT request_id FROM usage ORDER BY id")]
    assert sum(a != b for a, b in zip(order, order[1:], strict=False)) > 20
    returned = {r["record_id"]: r for res in results.values() for r in res["records"]}
    assert len(returned) == 2_000 and not any(r["duplicate"] == "True" for r in returned.values())
    stored = {r["record_id"]: r["cost_pico"] for r in ledger.records()}
    assert set(stored) == set(returned)
    expected = [
        reference_pico(usage_for(w, i), datetime.fromisoformat(r["timestamp"]))
        for w in range(4)
        for i, r in enumerate(results[f"w{w}"]["records"])
    ]
    assert sum(stored.values()) == sum(expected)
    assert ledger.totals("*").cost_pico == sum(expected) and ledger.totals("*").ops == 2_000
    assert sum(Decimal(r["total_cost"]) for r in returned.values()) * 10**12 == sum(expected)
    assert_rollups_equal_rows(db)
    # Budget alerts evaluated by two processes at once: each threshold announced once, by one of them.
    announced = [tuple(a) for res in results.values() for r in res["records"] for a in r["new_alerts"]]
    stored_alerts = [(a["scope"], a["period"], a["level"]) for a in ledger.alerts()]
    assert announced and sorted(announced) == sorted(stored_alerts)
    ledger.close()


def test_same_request_id_from_two_processes_is_recorded_once(tmp_path: Path) -> None:
    from core.store import Ledger

    db = tmp_path / "race.db"  # no schema yet: both processes create it at once too
    results = run_workers(tmp_path, db, {"a": ["race", "100"], "b": ["race", "100"]})

    ledger = Ledger(str(db))
    assert ledger.count() == 100
    for a, b in zip(results["a"]["records"], results["b"]["records"], strict=True):
        assert {a["duplicate"], b["duplicate"]} == {"True", "False"}  # one wrote it, the other was told so
        same = {k: v for k, v in a.items() if k != "duplicate"}
        assert same == {k: v for k, v in b.items() if k != "duplicate"}
        assert ledger.get(request_id=a["request_id"])["record_id"] == a["record_id"]
    assert_rollups_equal_rows(db)
    ledger.close()


def test_writers_next_to_long_reads_never_see_a_locked_database(tmp_path: Path) -> None:
    from core import CostTracker

    db = tmp_path / "busy.db"
    tracker = CostTracker(db)
    tracker.track_many(usage_for(9, i) for i in range(40_000))  # enough rows for reads that take a while
    tracker.ledger.close()
    results = run_workers(
        tmp_path,
        db,
        {"reader": ["reader"], "single": ["track", "400", "7"], "bulk": ["bulk", "20000", "8"]},
        until_done=["single", "bulk"],
    )

    assert results["reader"]["errors"] == []
    assert results["reader"]["dashboards"] >= 3 and results["reader"]["exports"] >= 1
    # At least one long read ran while a writer was writing.
    writing = [(results[w]["started"], results[w]["finished"]) for w in ("single", "bulk")]
    assert any(r0 < w1 and w0 < r1 for r0, r1 in results["reader"]["reads"] for w0, w1 in writing)
    assert results["bulk"]["new"] == 20_000
    tracker = CostTracker(db)
    assert tracker.ledger.count() == 40_000 + 400 + 20_000
    assert_rollups_equal_rows(db)
    tracker.ledger.close()


if __name__ == "__main__":
    worker_main(sys.argv[1:])
