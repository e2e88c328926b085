"""Benchmark the MCP server as Claude Code runs it: a stdio subprocess, one JSON-RPC line per message.

    /work/venv/bin/python benchmarks/bench_server.py                 # 1,000,000 records over 90 days
    /work/venv/bin/python benchmarks/bench_server.py --records 50000 # a quick version

Measures, on the ledger bench_core.py builds and caches under benchmarks/.cache/ (copied per run,
so the cache never changes):
- start-up: process start -> `initialize` answered, and -> first `tools/call` answered (N starts);
- round trip of `check_budget` and `track_usage` (p50 / p90 / p99 over many calls).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

from bench_core import cached_ledger, compile_packages  # noqa: E402  (the shared, cached 1M-record ledger)

AGENTS = ["backend-engineer", "frontend-engineer", "qa-engineer", "security-auditor", "docs-writer", "architect"]
MODELS = ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-5", "claude-sonnet-5", "claude-opus-5"]
INITIALIZE = {
    "jsonrpc": "2.0",
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
}


class StdioServer:
    def __init__(self, env: dict[str, str], cwd: str) -> None:
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=cwd,
        )
        self.next_id = 0

    def request(self, message: dict[str, Any]) -> dict[str, Any]:
        self.next_id += 1
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps({**message, "id": self.next_id}).encode() + b"\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        assert reply.get("id") == self.next_id and "error" not in reply, reply
        return reply

    def notify(self, method: str) -> None:
        assert self.proc.stdin
        self.proc.stdin.write(json.dumps({"jsonrpc": "2.0", "method": method}).encode() + b"\n")
        self.proc.stdin.flush()

    def call(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        reply = self.request(
            {"jsonrpc": "2.0", "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
        )
        assert reply["result"]["isError"] is False, reply
        return reply["result"]

    def close(self) -> None:
        assert self.proc.stdin
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        assert self.proc.stdout
        self.proc.stdout.close()


def percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    q = statistics.quantiles(ms, n=100)
    return f"p50 {statistics.median(ms):.2f} ms  p90 {q[89]:.2f} ms  p99 {q[98]:.2f} ms  (n={len(ms)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--starts", type=int, default=10)
    parser.add_argument("--max-age-hours", type=float, default=24.0, help="rebuild a cached ledger older than this")
    args = parser.parse_args()
    compile_packages()

    source, _ = cached_ledger(args.records, args.days, rebuild=False, max_age_hours=args.max_age_hours)
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        db = Path(tmp) / "usage.db"
        shutil.copyfile(source, db)
        config = Path(tmp) / "config"
        config.mkdir()
        env = dict(os.environ, MODEL_CONFIG_DB=str(db), MODEL_CONFIG_DIR=str(config))
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)

        to_initialize, to_first_call = [], []
        for _ in range(args.starts):
            server = StdioServer(env, tmp)
            server.request(INITIALIZE)
            to_initialize.append(time.perf_counter() - server.started)
            server.notify("notifications/initialized")
            server.call("check_budget", {})
            to_first_call.append(time.perf_counter() - server.started)
            server.close()

        server = StdioServer(env, tmp)
        server.request(INITIALIZE)
        server.notify("notifications/initialized")
        budget, track = [], []
        for i in range(args.calls + 20):
            t0 = time.perf_counter()
            server.call("check_budget", {"period": ("daily", "weekly", "monthly")[i % 3]})
            t1 = time.perf_counter()
            server.call(
                "track_usage",
                {
                    "agent_type": AGENTS[i % len(AGENTS)],
                    "model_type": MODELS[i % len(MODELS)],
                    "input_tokens": 1200 + i,
                    "output_tokens": 300,
                    "request_id": f"bench-rt-{time.time_ns()}-{i}",
                },
            )
            t2 = time.perf_counter()
            if i >= 20:  # warm-up excluded
                budget.append(t1 - t0)
                track.append(t2 - t1)
        server.close()

    print(f"ledger: {args.records:,} records; python {sys.version.split()[0]}; {os.cpu_count()} CPUs")
    print(
        f"start-up to initialize answered:      median {statistics.median(to_initialize) * 1000:.0f} ms "
        f"(min {min(to_initialize) * 1000:.0f}, max {max(to_initialize) * 1000:.0f}, n={len(to_initialize)})"
    )
    print(
        f"start-up to first tools/call answered: median {statistics.median(to_first_call) * 1000:.0f} ms "
        f"(min {min(to_first_call) * 1000:.0f}, max {max(to_first_call) * 1000:.0f}, n={len(to_first_call)})"
    )
    print(f"check_budget round trip: {percentiles(budget)}")
    print(f"track_usage round trip:  {percentiles(track)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
