"""Claude Code import benchmark: our import (first run, second run), ccusage on the same files, peak
memory on a large corpus, and the Stop hook's latency on a large ledger. Prints medians.

    python benchmarks/bench_import.py                 # ~100k lines / ~87 MB corpus, ccusage if installed
    python benchmarks/bench_import.py --rss           # also the 500 MB corpus for peak RSS (generated once)
    python benchmarks/bench_import.py --hook-rows 1000000

Corpora and ledgers are cached under benchmarks/.cache/ (git-ignored). ccusage is looked for in
$CCUSAGE_BIN, on PATH, in benchmarks/.cache/node_modules and in the test suite's pytest cache; to
install it: npm install --prefix benchmarks/.cache ccusage@20.0.24 @ccusage/ccusage-linux-x64@20.0.24
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_core import compile_packages  # benchmarks/ is this script's directory, first on sys.path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".cache"
PY = sys.executable


def corpus_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("claude_code_corpus", ROOT / "tests" / "claude_code" / "corpus.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["claude_code_corpus"] = module
    spec.loader.exec_module(module)
    return module


def corpus(name: str, sessions: int, requests: int, payload: int, seed: int = 1) -> tuple[Path, dict[str, int]]:
    """A generated Claude config dir, built once and reused."""
    root = CACHE / name
    marker = root / "corpus.json"
    params = {"sessions": sessions, "requests": requests, "payload": payload, "seed": seed, "version": 5}
    if marker.exists():
        info = json.loads(marker.read_text())
        if info.get("params") == params:
            return root, info["stats"]
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    print(f"generating {name} ...", file=sys.stderr, flush=True)
    stats = corpus_module().build(root, sessions=sessions, requests=requests, seed=seed, payload_bytes=payload)
    info = {"params": params, "stats": {"files": stats.files, "lines": stats.lines, "bytes": stats.bytes}}
    marker.write_text(json.dumps(info))
    print(f"  {stats.lines:,} lines, {stats.bytes / 1e6:.0f} MB in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)
    return root, info["stats"]


def find_ccusage() -> str | None:
    candidates = [os.environ.get("CCUSAGE_BIN"), shutil.which("ccusage"),
                  str(CACHE / "node_modules" / ".bin" / "ccusage"),
                  str(ROOT / ".pytest_cache" / "d" / "ccusage-20.0.24" / "node_modules" / ".bin" / "ccusage")]
    return next((c for c in candidates if c and Path(c).exists()), None)


def wall(cmd: list[str], env: dict[str, str] | None = None, stdin: str | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, env=env, input=stdin, text=True, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


IMPORT_SNIPPET = """
import json, resource, sys, time
from core import ModelConfigManager
from core.claude_code.importer import import_claude_code
m = ModelConfigManager(db_path=sys.argv[1], config_dir=sys.argv[3])
t = time.perf_counter()
s = import_claude_code(m, [sys.argv[2]])
took = time.perf_counter() - t
# This process's own peak (VmHWM): ru_maxrss can carry over the size of the process that started it.
try:
    status = open("/proc/self/status").read()
    rss = int(status.split("VmHWM:")[1].split()[0]) / 1024
except (OSError, IndexError, ValueError):
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": took, "rss_mb": rss, "worker_rss_mb": workers, "new": s.new_records, "lines": s.lines}))
"""


def run_import(db: Path, root: Path, one_process: bool = False) -> dict[str, float]:
    """One import in a fresh process: in-call seconds, whole-process seconds, peak RSS."""
    env = {**os.environ, "MODEL_CONFIG_IMPORT_WORKERS": "0"} if one_process else None
    started = time.perf_counter()
    proc = subprocess.run([PY, "-c", IMPORT_SNIPPET, str(db), str(root), str(db.parent)], capture_output=True,
                          text=True, check=True, cwd=ROOT, env=env)
    result = json.loads(proc.stdout)
    result["process_seconds"] = time.perf_counter() - started
    return result


def cli_import(root: Path, db: Path) -> list[str]:
    """`model-config import claude-code` (as `python -m core`) of `root` into `db`."""
    return [PY, "-m", "core", "import", "claude-code", "--path", str(root), "--db", str(db), "--config-dir",
            str(db.parent), "--json"]


def bench_import(root: Path, stats: dict[str, int], runs: int) -> None:
    print(f"\ncorpus: {stats['files']:,} files, {stats['lines']:,} lines, {stats['bytes'] / 1e6:.0f} MB ({root})")
    ccusage = find_ccusage()
    cc_times: list[float] = []
    env = {**os.environ, "CLAUDE_CONFIG_DIR": str(root), "TZ": "UTC"}
    cmd = [ccusage or "", "claude", "daily", "--json", "--offline", "--timezone", "UTC"]
    if ccusage:
        wall(cmd, env)  # warm the page cache
    first, second, single, cli_first = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            # ccusage and our first import alternate, so a change in the machine's speed (it is shared)
            # shows in both rather than in their ratio.
            if ccusage:
                cc_times.append(wall(cmd, env))
            db = Path(tmp) / f"u{i}.db"
            first.append(run_import(db, root))
            second.append(run_import(db, root))
            second.append(run_import(db, root))
            single.append(run_import(Path(tmp) / f"s{i}.db", root, one_process=True))
            cli_first.append(wall(cli_import(root, Path(tmp) / f"c{i}.db")))
        cli_second = [wall(cli_import(root, Path(tmp) / "u0.db")) for _ in range(runs)]
    med = statistics.median
    print(f"{'':34}{'median':>10}")
    if cc_times:
        print(f"{'ccusage claude daily --json':34}{med(cc_times):>9.3f}s   ({ccusage})")
    else:
        print("ccusage                           not installed (see the module docstring)")
    print(f"{'ours, first import (in call)':34}{med(r['seconds'] for r in first):>9.3f}s   "
          f"{first[0]['new']:,} records")
    print(f"{'ours, first import (process)':34}{med(r['process_seconds'] for r in first):>9.3f}s")
    print(f"{'ours, first import, one process':34}{med(r['seconds'] for r in single):>9.3f}s   "
          "(MODEL_CONFIG_IMPORT_WORKERS=0, in call)")
    print(f"{'ours, second import (in call)':34}{med(r['seconds'] for r in second):>9.3f}s")
    print(f"{'ours, second import (process)':34}{med(r['process_seconds'] for r in second):>9.3f}s")
    print(f"{'model-config import (CLI, 1st)':34}{med(cli_first):>9.3f}s")
    print(f"{'model-config import (CLI, 2nd)':34}{med(cli_second):>9.3f}s")
    print(f"{'peak RSS, first import':34}{max(r['rss_mb'] for r in first):>8.0f}MB   "
          f"(largest reader process: {max(r['worker_rss_mb'] for r in first):.0f} MB; one process: "
          f"{max(r['rss_mb'] for r in single):.0f} MB)")
    if cc_times:
        ratio = med(r["seconds"] for r in first) / med(cc_times)
        pairs = sorted(r["seconds"] / c for r, c in zip(first, cc_times, strict=True))
        print(f"first import / ccusage: {ratio:.2f}x (in call; run by run {pairs[0]:.2f}-{pairs[-1]:.2f}x), "
              f"{med(r['process_seconds'] for r in first) / med(cc_times):.2f}x (process), "
              f"{med(cli_first) / med(cc_times):.2f}x (CLI)")


FILLER_SNIPPET = """
import sys
from datetime import UTC, datetime, timedelta
from core import ModelConfigManager
from core.usage import validate_usage
m = ModelConfigManager(db_path=sys.argv[1], config_dir=sys.argv[2])
n = int(sys.argv[3])
base = datetime.now(UTC) - timedelta(days=60)
def gen():
    for i in range(n):
        yield {"agent_type": ("main", "Explore", "code-reviewer")[i % 3], "model_type": "claude-sonnet-4-5",
               "input_tokens": i % 50, "output_tokens": 300, "project_id": f"p{i % 7}", "session_id": f"s{i % 5000}",
               "cache_read_input_tokens": 20000, "request_id": f"filler-{i}",
               "timestamp": base + timedelta(seconds=i * 5)}
print(m.cost_tracker.track_many(gen(), source="claude-code"))
"""


def bench_hook(rows: int, runs: int) -> None:
    """Stop hook latency: a session with new lines to import, on a ledger of `rows` records."""
    work = CACHE / f"hook-ledger-{rows}"
    db = work / "usage.db"
    if not (work / "ready").exists():
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        print(f"building a {rows:,}-record ledger ...", file=sys.stderr, flush=True)
        subprocess.run([PY, "-c", FILLER_SNIPPET, str(db), str(work), str(rows)], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)
        (work / "ready").write_text("1")
    from core.claude_code import hook_client

    mod = corpus_module()
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(db, Path(tmp) / "usage.db")
        tmp_db = Path(tmp) / "usage.db"
        c = mod.Corpus(Path(tmp) / "claude", seed=5)
        transcript = c.session(40, start=mod.datetime.now(mod.UTC) - mod.timedelta(hours=3))
        c.write()
        env = {**os.environ, "MODEL_CONFIG_DB": str(tmp_db), "MODEL_CONFIG_DIR": tmp}
        payload = json.dumps({"session_id": "s", "transcript_path": str(transcript), "cwd": "/x",
                              "hook_event_name": "Stop", "stop_hook_active": False})
        results: dict[str, list[float]] = {}
        model_config = str(Path(PY).parent / "model-config")
        module = [PY, "-m", "core.claude_code", "hook", "stop"]
        commands = [("model-config hook stop, hook server", [model_config, "hook", "stop"], "1"),
                    ("model-config hook stop, own process", [model_config, "hook", "stop"], "0"),
                    ("python -m core.claude_code hook stop, own process", module, "0")]
        for label, cmd, server in commands:
            if not Path(cmd[0]).exists():
                continue
            run_env = {**env, "MODEL_CONFIG_HOOK_SERVER": server}
            wall(cmd, run_env, payload)  # the session's first lines, the price cache (and a hook server starting)
            if server == "1" and not hook_client.serving(tmp_db, timeout=30):
                print("  the hook server did not start")
            times, in_process = [], []
            for i in range(runs):
                # Each turn appends one request (a few lines) to the transcript, then the hook runs.
                c._files.clear()
                now = mod.datetime.now(mod.UTC) - mod.timedelta(minutes=runs - i)
                c._request(transcript, "bench-session", "/home/dev/shop-api", now)
                with transcript.open("a") as handle:
                    handle.write("\n".join(c._files[transcript]) + "\n")
                started = time.perf_counter()
                proc = subprocess.run(cmd, env={**run_env, "MODEL_CONFIG_HOOK_TIMING": "1"}, input=payload, text=True,
                                      capture_output=True, check=True, cwd=ROOT)
                times.append(time.perf_counter() - started)
                in_process.append(float(proc.stderr.strip().split()[-1].rstrip("s")))
                if server == "1" and "(hook server)" not in proc.stderr:
                    print(f"  run {i}: the hook server did not answer; the hook ran in its own process")
            results[label] = times
            print(f"{label + ' (end to end)':60}p50 {statistics.median(times) * 1000:6.0f} ms   "
                  f"p90 {sorted(times)[int(len(times) * 0.9)] * 1000:6.0f} ms")
            print(f"{label + ' (the hook itself)':60}p50 {statistics.median(in_process) * 1000:6.0f} ms")
            if server == "1":
                hook_client.stop(tmp_db)
        py = [wall([PY, "-c", "import core"]) for _ in range(runs)]
        label = "python -c 'import core' (for reference)"
        print(f"{label:60}p50 {statistics.median(py) * 1000:6.0f} ms")


def bench_rss(sessions: int) -> None:
    root, stats = corpus("corpus-500mb", sessions=sessions, requests=40, payload=600, seed=2)
    with tempfile.TemporaryDirectory() as tmp:
        result = run_import(Path(tmp) / "u.db", root)
        alone = run_import(Path(tmp) / "s.db", root, one_process=True)
    print(f"\n500 MB corpus: {stats['lines']:,} lines, {stats['bytes'] / 1e6:.0f} MB, {result['new']:,} records")
    print(f"  first import {result['seconds']:.1f} s, peak RSS {result['rss_mb']:.0f} MB "
          f"(largest reader process: {result['worker_rss_mb']:.0f} MB, counting pages shared by fork)")
    print(f"  one process: {alone['seconds']:.1f} s, peak RSS {alone['rss_mb']:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=560, help="sessions in the ~100k-line corpus")
    parser.add_argument("--rss", action="store_true", help="also measure peak RSS on a 500 MB corpus")
    parser.add_argument("--rss-sessions", type=int, default=2900)
    parser.add_argument("--hook-rows", type=int, default=500_000, help="ledger size for the hook latency")
    parser.add_argument("--hook-runs", type=int, default=21)
    parser.add_argument("--skip-hook", action="store_true")
    args = parser.parse_args()
    compile_packages()
    CACHE.mkdir(parents=True, exist_ok=True)
    root, stats = corpus("corpus-100k", sessions=args.sessions, requests=40, payload=60)
    bench_import(root, stats, args.runs)
    if not args.skip_hook:
        print()
        bench_hook(args.hook_rows, args.hook_runs)
    if args.rss:
        bench_rss(args.rss_sessions)


if __name__ == "__main__":
    main()
