"""Benchmarks for the core library's performance claims (figures are medians).

    /work/venv/bin/python benchmarks/bench_core.py                  # 1,000,000 records over 90 days
    /work/venv/bin/python benchmarks/bench_core.py --records 50000  # a quick version
    /work/venv/bin/python benchmarks/bench_core.py --profile "get_dashboard(30)"

The ledger is built once through the bulk path (`CostTracker.track_many`) and cached under
benchmarks/.cache/ (rebuilt when missing, when the schema or the generator changed, or when it is
older than --max-age-hours, since its records end at the time it was built). Every run works on a
copy, so alerts and write benchmarks never touch the cached file.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import json
import os
import platform
import pstats
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
# Bump when the generated data changes, so cached ledgers are rebuilt.
GENERATOR_VERSION = 1
SEED = 20260101

def compile_packages() -> None:
    """Byte-compile the project's packages. Start-up figures assume compiled modules, as an installed
    package has (pip compiles at install); a checkout gets them on first import, unless
    PYTHONDONTWRITEBYTECODE is set."""
    import compileall

    for package in ("core", "server", "resources"):
        compileall.compile_dir(HERE.parent / package, quiet=2)


# -- a realistic mix ---------------------------------------------------------------------------

# (agent type, relative frequency, preferred model): a few agents do most of the work.
AGENTS = [
    ("backend-engineer", 30, "claude-sonnet-4-5-20250929"),
    ("code-reviewer", 18, "claude-sonnet-5"),
    ("explorer", 14, "claude-haiku-4-5"),
    ("frontend-engineer", 10, "claude-sonnet-5"),
    ("test-writer", 8, "claude-sonnet-4-5-20250929"),
    ("formatter", 6, "claude-haiku-4-5"),
    ("architect", 4, "claude-opus-5"),
    ("docs-writer", 3, "claude-haiku-4-5"),
    ("security-auditor", 2.5, "claude-opus-4-1"),
    ("data-analyst", 2, "claude-sonnet-5"),
    ("devops-engineer", 1.5, "claude-sonnet-4-5-20250929"),
    ("planner", 1, "claude-opus-5"),
]
PROJECTS = [("web-app", 35), ("billing", 20), ("mobile", 15), ("data-platform", 12), ("infra", 10), ("docs-site", 5)]
MODELS = [
    ("claude-sonnet-4-5-20250929", 35),
    ("claude-sonnet-5", 25),
    ("claude-haiku-4-5", 20),
    ("claude-opus-5", 15),
    ("claude-opus-4-1", 5),
]
TASKS = [
    "Implement the new REST endpoint for invoices with tests",
    "Fix the bug in the checkout flow where totals are off by a cent",
    "Review the pull request for the payment service",
    "Design the system architecture for multi-region replication",
    "Security audit of the authentication module for injection vulnerabilities",
    "Format the code with ruff and fix lint errors",
    "Find where the retry logic is defined",
    "Rename the variable user_id to account_id across the module",
    "Write docstrings for the public API",
    "Refactor the entire codebase to use the new settings object",
    "Investigate the intermittent flaky test in CI",
    "Add a new feature flag for the beta dashboard",
    "Summarize the changes in the last release for the changelog",
    "Optimize the hot path in the query planner; it is a latency bottleneck",
    "Write unit tests for the date parsing helpers",
    "Migrate the database schema to add an index on created_at",
    "Debug the race condition in the job scheduler",
    "Update the dependencies and bump the version",
    "Explain the trade-offs between the two caching strategies",
    "Build the CSV export for the admin panel",
    "Translate the error messages to French",
    "Fix typo in README",
    "Create a new service for webhook delivery with retries and tests",
    "Evaluate alternatives for the message queue and write a roadmap",
    "Clean up the logging setup",
    "Add pagination to the users API",
    "Threat model the file upload feature",
    "Write integration tests for the billing API",
    "Look up how the feature flags are loaded",
    "Quick fix: one-line change to the timeout",
]


def _weighted(items: list[tuple[Any, ...]]) -> tuple[list[Any], list[float]]:
    total = sum(i[1] for i in items)
    acc, cum = 0.0, []
    for item in items:
        acc += item[1] / total
        cum.append(acc)
    return [i[0] if len(i) == 2 else i for i in items], cum


def generate(n: int, *, days: int, end: datetime, seed: int) -> Iterator[dict[str, Any]]:
    """`n` usage reports over the `days` days ending at `end`, session by session (as an import reads them)."""
    rng = random.Random(seed)
    agents, agent_cum = _weighted(AGENTS)
    projects, project_cum = _weighted(PROJECTS)
    models, model_cum = _weighted(MODELS)
    end_us = int(end.timestamp() * 1_000_000) - 60_000_000
    span_us = days * 86_400_000_000
    produced = session = 0
    pick = rng.choices
    while produced < n:
        session += 1
        size = min(n - produced, 1 + int(rng.expovariate(1 / 40)))
        agent, _, preferred = pick(agents, cum_weights=agent_cum)[0]
        project = pick(projects, cum_weights=project_cum)[0] if rng.random() < 0.95 else None
        session_id = f"{seed:08x}-{session:08x}-{rng.getrandbits(48):012x}"
        t = end_us - span_us + int(rng.random() * span_us)
        task = rng.choice(TASKS) if rng.random() < 0.3 else None
        for _ in range(size):
            t = min(t + int(rng.expovariate(1 / 15) * 1_000_000), end_us)
            model = preferred if rng.random() < 0.75 else pick(models, cum_weights=model_cum)[0]
            record: dict[str, Any] = {
                "agent_type": agent,
                "model_type": model,
                "input_tokens": min(150_000, int(rng.lognormvariate(6.5, 1.6))),
                "output_tokens": min(32_000, 1 + int(rng.lognormvariate(5.8, 1.2))),
                "project_id": project,
                "session_id": session_id,
                "timestamp": datetime.fromtimestamp(t / 1_000_000, UTC),
            }
            if rng.random() < 0.55:
                record["cache_read_input_tokens"] = min(400_000, int(rng.lognormvariate(9.8, 1.0)))
            if rng.random() < 0.25:
                cw = 1 + int(rng.lognormvariate(7.5, 1.3))
                record["cache_creation_input_tokens"] = cw
                if rng.random() < 0.1:
                    record["cache_creation_1h_input_tokens"] = cw // 2
            if task is not None:
                record["task_description"] = task
            if rng.random() < 0.85:
                record["request_id"] = f"req_{seed:08x}{produced:012x}"
            if rng.random() < 0.01:
                record["web_search_requests"] = rng.randint(1, 5)
            if rng.random() < 0.02:
                record["batch"] = True
            produced += 1
            yield record
            if produced >= n:
                return


# -- the cached ledger -------------------------------------------------------------------------


def schema_fingerprint(path: str | None = None) -> str:
    """Hash of the schema objects and applied migrations: a fresh ledger's when `path` is None."""
    if path is None:
        from core.store import Ledger

        conn = Ledger(":memory:").conn
    else:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        objects = conn.execute(
            "SELECT type, name, COALESCE(sql, '') FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name"
        ).fetchall()
        applied = conn.execute("SELECT migration_set, name FROM _sqlite_migrations ORDER BY id").fetchall()
    except sqlite3.Error:
        return "unreadable"
    finally:
        if path is not None:
            conn.close()
    return hashlib.sha256(json.dumps([objects, applied]).encode()).hexdigest()[:16]


def cached_ledger(records: int, days: int, *, rebuild: bool, max_age_hours: float) -> tuple[Path, dict[str, Any]]:
    CACHE.mkdir(parents=True, exist_ok=True)
    db = CACHE / f"ledger-{records}-{days}d.db"
    meta_path = db.with_suffix(".json")
    want = {"records": records, "days": days, "generator": GENERATOR_VERSION, "schema": schema_fingerprint()}
    meta: dict[str, Any] = {}
    if db.exists() and meta_path.exists() and not rebuild:
        meta = json.loads(meta_path.read_text())
        age_h = (time.time() - meta.get("built_at", 0)) / 3600
        reason = None
        if any(meta.get(k) != v for k, v in want.items()):
            reason = "generator or schema changed"
        elif schema_fingerprint(str(db)) != want["schema"]:
            reason = "schema of the cached file differs"
        elif age_h > max_age_hours:
            reason = f"built {age_h:.1f} h ago (its records end then)"
        if reason is None:
            return db, meta
        print(f"rebuilding cached ledger: {reason}", flush=True)
    return db, build_ledger(db, meta_path, want)


def build_ledger(db: Path, meta_path: Path, want: dict[str, Any]) -> dict[str, Any]:
    from core.store import Ledger
    from core.tracker import CostTracker

    tmp = db.with_name(db.name + ".building")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    end = datetime.now(UTC)
    print(f"building {want['records']:,} records over {want['days']} days into {db} ...", flush=True)
    ledger = Ledger(str(tmp))
    tracker = CostTracker(ledger=ledger)
    started = time.perf_counter()
    done = [0]

    def counted() -> Iterator[dict[str, Any]]:
        for i, r in enumerate(generate(want["records"], days=want["days"], end=end, seed=SEED), 1):
            if i % 100_000 == 0:
                print(f"  {i:,} ({i / (time.perf_counter() - started):,.0f}/s incl. generation)", flush=True)
            done[0] = i
            yield r

    new, dup = tracker.track_many(counted(), source="benchmark")
    elapsed = time.perf_counter() - started
    ledger.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ledger.conn.execute("ANALYZE")
    ledger.close()
    os.replace(tmp, db)
    meta = {**want, "built_at": time.time(), "end": end.isoformat(), "new": new, "duplicates": dup,
            "build_seconds": round(elapsed, 1)}
    meta_path.write_text(json.dumps(meta, indent=2))
    print(f"built in {elapsed:.1f} s ({new / elapsed:,.0f} records/s, generation included)", flush=True)
    return meta


# -- measurement -------------------------------------------------------------------------------


def latencies(fn: Callable[[], Any], *, iterations: int, warmup: int = 3, budget_s: float = 20.0,
              cpu: list[float] | None = None) -> list[float]:
    """Seconds per call, `iterations` calls (fewer if they take longer than `budget_s` in total).

    `cpu`, when given, receives each call's CPU time (this process), to tell work from waiting.
    """
    for _ in range(warmup):
        fn()
    out: list[float] = []
    deadline = time.perf_counter() + budget_s
    for _ in range(iterations):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        out.append(time.perf_counter() - t0)
        if cpu is not None:
            cpu.append(time.process_time() - c0)
        if time.perf_counter() > deadline and len(out) >= 3:
            break
    return out


def rate(fn: Callable[[int], int], *, rounds: int, cpu: list[float] | None = None) -> list[float]:
    """Items per second of `fn(round)` (which returns how many items it handled), one figure per round.

    `cpu`, when given, receives the same rates computed from this process's CPU time: on a shared
    machine the gap between the two is time spent waiting for a core.
    """
    out = []
    for r in range(rounds):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        n = fn(r)
        out.append(n / (time.perf_counter() - t0))
        if cpu is not None:
            cpu.append(n / max(1e-9, time.process_time() - c0))
    return out


class Result:
    def __init__(
        self, name: str, kind: str, samples: list[float], target: float, note: str = "", cpu: list[float] | None = None
    ) -> None:
        self.name, self.kind, self.samples, self.target, self.note = name, kind, samples, target, note
        self.median = statistics.median(samples)
        self.cpu = statistics.median(cpu) if cpu else None

    @property
    def ok(self) -> bool:
        return self.median <= self.target if self.kind == "latency" else self.median >= self.target

    def row(self) -> tuple[str, str, str, str]:
        if self.kind == "latency":
            value, target = _ms(self.median), f"<= {_ms(self.target)}"
            spread = f"p10 {_ms(_pct(self.samples, 10))}, p90 {_ms(_pct(self.samples, 90))}, n={len(self.samples)}"
            if self.cpu is not None:
                spread += f"; CPU {_ms(self.cpu)}"
        else:
            value, target = f"{self.median:,.0f}/s", f">= {self.target:,.0f}/s"
            spread = f"min {min(self.samples):,.0f}, max {max(self.samples):,.0f}, rounds={len(self.samples)}"
            if self.cpu is not None:
                spread += f"; by CPU time {self.cpu:,.0f}/s"
        return self.name, value, target, ("PASS" if self.ok else "FAIL") + f"  ({spread}){self.note}"


def _ms(seconds: float) -> str:
    if seconds < 0.01:
        return f"{seconds * 1000:.3f} ms"
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.2f} s"


def _pct(samples: list[float], p: int) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


# -- the benchmarks ----------------------------------------------------------------------------

SELECT_CASES = [
    ("backend-engineer", "Implement the new REST endpoint for invoices with tests", None),
    ("architect", "Design the system architecture for multi-region replication", "quality"),
    ("explorer", "Find where the retry logic is defined", "fast"),
    ("formatter", None, None),
    ("code-reviewer", "Review the pull request for the payment service", "balanced"),
    ("security-auditor", "Security audit of the authentication module", None),
    ("unknown-helper", "Fix typo in README", None),
]


def run(args: argparse.Namespace) -> list[Result]:
    from core import BudgetPeriod, CostTracker, IntelligentModelSelector, ModelConfigManager

    db, meta = cached_ledger(args.records, args.days, rebuild=args.rebuild, max_age_hours=args.max_age_hours)
    work = CACHE / f"work-{os.getpid()}.db"
    shutil.copyfile(db, work)
    _fsync(work)  # so the copy's writeback does not land inside a measurement
    os.environ["MODEL_CONFIG_DB"] = str(work)
    results: list[Result] = []
    only = set(args.only or [])

    def want(name: str) -> bool:
        return (not only or any(name.startswith(o) for o in only)) and (
            args.profile is None or name.startswith(args.profile)
        )

    def measure(name: str, kind: str, target: float, thunk: Callable[[list[float]], list[float]]) -> None:
        if not want(name):
            return
        cpu: list[float] = []
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            samples = thunk(cpu)
            profiler.disable()
            print(f"\n== profile of {name} ==")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        else:
            samples = thunk(cpu)
        results.append(Result(name, kind, samples, target, cpu=cpu))
        print("  " + "  ".join(results[-1].row()), flush=True)

    def timed(fn: Callable[[], Any], iterations: int, **kw: Any) -> Callable[[list[float]], list[float]]:
        return lambda cpu: latencies(fn, iterations=iterations, cpu=cpu, **kw)

    def rated(fn: Callable[[int], int]) -> Callable[[list[float]], list[float]]:
        return lambda cpu: rate(fn, rounds=args.rounds, cpu=cpu)

    manager = ModelConfigManager(work)
    tracker = CostTracker(ledger=manager.ledger, settings=manager.settings, price_book=manager.price_book)
    budgets = manager.budget_manager
    selector = IntelligentModelSelector(manager.settings, manager.price_book)
    n = args.iterations
    try:
        # Reads first, on the untouched copy.
        periods = list(BudgetPeriod)
        for period in periods:
            measure(f"check_budget({period.value})", "latency", 0.005,
                    timed(lambda p=period: budgets.check_budget(p), n))  # type: ignore[misc]
        measure("check_budget(all three)", "latency", 0.005,
                timed(lambda: [budgets.check_budget(p) for p in periods], n))
        measure("get_dashboard(7)", "latency", 0.200, timed(lambda: manager.get_dashboard(7), max(5, n // 20)))
        measure("get_dashboard(30)", "latency", 0.500, timed(lambda: manager.get_dashboard(30), max(5, n // 40)))
        with tempfile.TemporaryDirectory() as tmp:
            rows: list[int] = []
            measure("export_to_csv(30 days)", "latency", 5.0,
                    timed(lambda: rows.append(tracker.export_to_csv(Path(tmp) / "export.csv", 30)), 3,
                          warmup=0, budget_s=60))
            if rows:
                results[-1].note = f" [{rows[-1]:,} rows]"
        turn = [0]

        def choose(select: Callable[..., Any]) -> Callable[[], Any]:
            def go() -> Any:
                turn[0] += 1
                agent, task, profile = SELECT_CASES[turn[0] % len(SELECT_CASES)]
                return select(agent, task, performance_profile=profile)
            return go

        measure("select_model (selector)", "latency", 0.001, timed(choose(selector.select_model), n * 5))
        measure("select_model (manager)", "latency", 0.001, timed(choose(manager.select_model), n * 5))

        # Writes: live calls (timestamp now), a few warm-up calls first.
        def single(track: Callable[..., Any], label: str) -> Callable[[int], int]:
            def go(r: int, calls: int = args.calls) -> int:
                for i in range(calls):
                    agent, _, model = AGENTS[i % len(AGENTS)]
                    track(agent, model, 1200 + i, 300 + i % 97, PROJECTS[i % 6][0], f"live-{label}-{r}",
                          TASKS[i % len(TASKS)] if i % 4 == 0 else None,
                          cache_read_input_tokens=20_000 if i % 2 else 0,
                          request_id=f"live-{label}-{os.getpid()}-{r}-{i}" if i % 2 else None)
                return calls
            go(-1, 20)
            return go

        if want("track_usage (CostTracker)"):
            measure("track_usage (CostTracker)", "rate", 2000, rated(single(tracker.track_usage, "t")))
        if want("track_usage (ModelConfigManager"):
            # With the built-in budgets (10 / 50 / 200 USD) a large ledger has exceeded them all and every
            # alert is recorded; with ample budgets every record's check reads the windows' spending.
            measure("track_usage (ModelConfigManager)", "rate", 2000, rated(single(manager.track_usage, "m")))
            levels = ", ".join(f"{s.period.value} {s.alert_level.value}" for s in budgets.check_all(forecast=False))
            results[-1].note = f" [default budgets: {levels}]"
            ample = CACHE / "config-ample"
            ample.mkdir(exist_ok=True)
            limits = {p.value: {"limit": 10**9} for p in BudgetPeriod}
            (ample / "cost-optimization.json").write_text(json.dumps({"budget_limits": limits}))
            under = ModelConfigManager(work, ample)
            try:
                measure("track_usage (ModelConfigManager)", "rate", 2000, rated(single(under.track_usage, "u")))
                results[-1].note = " [budgets of 10^9 USD: none reached]"
            finally:
                under.close()
        bulk_n = max(5000, min(args.bulk, args.records // 20))
        if want("track_many"):
            end = datetime.now(UTC)
            batches = [list(generate(bulk_n, days=args.days, end=end, seed=SEED + 1 + r)) for r in range(args.rounds)]

            def bulk(r: int) -> int:
                new, dup = tracker.track_many(batches[r], source="benchmark")
                assert new == bulk_n and dup == 0, (new, dup)
                return bulk_n

            measure("track_many (bulk insert)", "rate", 50_000, rated(bulk))
            results[-1].note = f" [{bulk_n:,} records a round, into the {args.records:,}-record ledger]"
        _check_invariant(manager)
    finally:
        manager.close()
        if not args.keep:
            for p in (work, Path(f"{work}-wal"), Path(f"{work}-shm")):
                p.unlink(missing_ok=True)
    args._meta = {"ledger": str(db), "built": meta.get("end"), "records": args.records,
                  "build_seconds": meta.get("build_seconds")}
    return results


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_invariant(manager: Any) -> None:
    """Rollups equal the sum of rows after every write benchmark (a benchmark must not cheat)."""
    conn = manager.ledger.conn
    rows = conn.execute("SELECT COUNT(*), SUM(cost_pico), SUM(input_tokens) FROM usage").fetchone()
    totals = conn.execute(
        "SELECT SUM(ops), SUM(cost_pico), SUM(input_tokens) FROM usage_totals WHERE scope = '*'"
    ).fetchone()
    if tuple(rows) != tuple(totals):
        raise SystemExit(f"rollup invariant broken: rows {rows} != rollups {totals}")
    print(f"  invariant: {rows[0]:,} rows; rollups ('*') equal the rows' sums", flush=True)


def machine_info() -> list[str]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    return [
        f"machine: {platform.platform()}; CPU {cpu}; {os.cpu_count()} cores; "
        f"load average {', '.join(f'{x:.2f}' for x in load)}",
        f"python {sys.version.split()[0]}; sqlite {sqlite3.sqlite_version}; synchronous="
        f"{os.environ.get('MODEL_CONFIG_SYNCHRONOUS', 'NORMAL')}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000, help="ledger size (default 1,000,000)")
    parser.add_argument("--days", type=int, default=90, help="days the ledger spans, ending now (default 90)")
    parser.add_argument("--iterations", type=int, default=200, help="calls per latency metric (dashboards use fewer)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per throughput metric")
    parser.add_argument("--calls", type=int, default=500, help="track_usage calls per round")
    parser.add_argument("--bulk", type=int, default=50_000, help="records per track_many round")
    parser.add_argument("--only", nargs="*", help="run only metrics whose name starts with one of these")
    parser.add_argument("--profile", help="cProfile the metrics whose name starts with this, print the top")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached ledger")
    parser.add_argument("--max-age-hours", type=float, default=24.0, help="rebuild a cached ledger older than this")
    parser.add_argument("--keep", action="store_true", help="keep the working copy")
    parser.add_argument("--json", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(HERE.parent))
    config = CACHE / "config"  # empty: the built-in defaults (budgets 10 / 50 / 200 USD)
    config.mkdir(parents=True, exist_ok=True)
    os.environ["MODEL_CONFIG_DIR"] = str(config)

    info = machine_info()
    print("\n".join(info), flush=True)
    results = run(args)
    meta = args._meta
    built = f"built {meta['built']}"
    if meta.get("build_seconds"):
        built += f" by track_many in {meta['build_seconds']} s, generation included"
    print(f"\nledger: {meta['records']:,} records over {args.days} days ({built}); "
          "latencies are medians of repeated calls, rates medians of rounds")
    widths = (34, 14, 14)
    print(f"{'metric':<{widths[0]}} {'median / rate':>{widths[1]}} {'target':>{widths[2]}}  result")
    print("-" * 110)
    for r in results:
        name, value, target, verdict = r.row()
        print(f"{name:<{widths[0]}} {value:>{widths[1]}} {target:>{widths[2]}}  {verdict}")
    for line in machine_info():
        print(line)
    if args.json:
        args.json.write_text(json.dumps({
            "command": " ".join(sys.argv), "machine": info, **meta,
            "results": [{"metric": r.name, "median": r.median, "target": r.target, "kind": r.kind,
                         "pass": r.ok, "samples": r.samples} for r in results],
        }, indent=2))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
