"""Against ccusage, the tool users trust: same per-day and per-model tokens, same cost at the same prices.

ccusage 20.0.24 (its native binary) is installed from npm into the pytest cache on first use. The
generated corpus holds every case the importer dedupes (content blocks, snapshots, sidechain
replays, resumed sessions, progress lines, subagents), plus synthetic errors, torn and malformed
lines and an unknown model. Where the two tools price differently on purpose, a second test pins
both figures (see README.md, "Accuracy against ccusage").
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from claude_code_corpus import build

from core import ModelConfigManager
from core.claude_code.importer import import_claude_code

from .conftest import assistant, usage, write

CCUSAGE = "20.0.24"
Key = tuple[str, str]


@pytest.fixture(scope="session")
def ccusage(pytestconfig: pytest.Config) -> Path:
    cache = getattr(pytestconfig, "cache", None)  # absent under -p no:cacheprovider
    if cache is not None:
        prefix = Path(cache.mkdir(f"ccusage-{CCUSAGE}"))
    else:
        prefix = Path(tempfile.gettempdir()) / f"model-config-ccusage-{CCUSAGE}"
    binary = prefix / "node_modules" / ".bin" / "ccusage"
    if not binary.exists():
        subprocess.run(["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
                        f"ccusage@{CCUSAGE}", f"@ccusage/ccusage-linux-x64@{CCUSAGE}"],
                       check=True, capture_output=True, timeout=600)
    assert binary.exists(), "ccusage did not install"
    return binary


def run_ccusage(binary: Path, config_dir: Path) -> dict[str, Any]:
    env = {**os.environ, "CLAUDE_CONFIG_DIR": str(config_dir), "TZ": "UTC", "NO_COLOR": "1"}
    proc = subprocess.run([str(binary), "claude", "daily", "--json", "--offline", "--timezone", "UTC", "--breakdown"],
                          env=env, capture_output=True, text=True, timeout=300, cwd=config_dir, check=True)
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def theirs(report: dict[str, Any]) -> dict[Key, list[float]]:
    out = {}
    for day in report["daily"]:
        for b in day["modelBreakdowns"]:
            out[(day["date"], b["modelName"])] = [b["inputTokens"], b["outputTokens"], b["cacheCreationTokens"],
                                                  b["cacheReadTokens"], b["cost"]]
    return out


def ours(manager: ModelConfigManager, *, with_web_search: bool = True) -> dict[Key, list[float]]:
    """Per UTC day and model (ccusage names fast-mode usage `<model>-fast`)."""
    acc: dict[Key, list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for r in manager.ledger.records():
        day = (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=r["ts_us"])).date().isoformat()
        a = acc[(day, r["model"] + ("-fast" if r["fast"] else ""))]
        cost = r["cost_pico"] - (0 if with_web_search else r["web_search_cost_pico"])
        for i, v in enumerate((r["input_tokens"], r["output_tokens"], r["cache_write_tokens"], r["cache_read_tokens"])):
            a[i] += v
        a[4] += cost / 10**12
    return dict(acc)


@pytest.mark.parametrize("seed", [3, 11])
def test_same_tokens_and_costs_as_ccusage(ccusage: Path, tmp_path: Path, seed: int) -> None:
    root = tmp_path / "claude-data"
    stats = build(root, sessions=40, requests=30, seed=seed, long_context=0.0, web_search=False)
    assert stats.files > 50
    with stats.paths[0].open("a") as handle:  # malformed lines in the middle, then a torn last line
        handle.write('garbage\n{"type":"assistant","message":{"id":"m","usage":{"input_tok\n{"type":"assi')
    report = run_ccusage(ccusage, root)
    with ModelConfigManager(db_path=str(tmp_path / "u.db")) as m:
        summary = import_claude_code(m, [str(root)])
        mine = ours(m)
    reference = theirs(report)
    assert summary.duplicates_skipped > 1000 and summary.malformed_lines >= 2
    assert sorted(mine) == sorted(reference)
    for key, (i, o, w, r, cost) in reference.items():
        assert mine[key][:4] == [i, o, w, r], key
        assert mine[key][4] == pytest.approx(cost, rel=1e-9, abs=1e-12), key
    # Day totals too (ccusage leaves out nothing we keep, and we leave out nothing it keeps).
    for day in report["daily"]:
        keys = [k for k in mine if k[0] == day["date"]]
        assert sum(mine[k][0] for k in keys) == day["inputTokens"]
        assert sum(mine[k][1] for k in keys) == day["outputTokens"]
        assert sum(mine[k][2] for k in keys) == day["cacheCreationTokens"]
        assert sum(mine[k][3] for k in keys) == day["cacheReadTokens"]


def test_documented_price_differences(ccusage: Path, tmp_path: Path) -> None:
    """Long context is a cliff (ccusage prices >200k-token requests at the base rate); web search costs $10/1k."""
    root = tmp_path / "claude-data"
    folder = root / "projects" / "-p"
    write(folder / "s.jsonl", [
        assistant("msg_1", "req_1", model="claude-sonnet-4-5-20250929", ts="2026-02-13T02:00:00.000Z",
                  u=usage(10_000, 1_000, read=195_000)),
        assistant("msg_2", "req_2", model="claude-opus-4-6", ts="2026-02-14T02:00:00.000Z",
                  u=usage(10_000, 1_000, read=195_000, speed="fast")),
        assistant("msg_3", "req_3", model="claude-sonnet-4-5-20250929", ts="2026-02-16T02:00:00.000Z",
                  u=usage(10, 10, searches=3)),
    ])
    reference = theirs(run_ccusage(ccusage, root))
    with ModelConfigManager(db_path=str(tmp_path / "u.db")) as m:
        import_claude_code(m, [str(root)])
        mine = ours(m)
    sonnet = ("2026-02-13", "claude-sonnet-4-5-20250929")
    assert reference[sonnet][4] == pytest.approx(0.1035)  # 10k x $3 + 1k x $15 + 195k x $0.30 per MTok
    assert mine[sonnet][4] == pytest.approx(0.1995)  # the whole request at $6 / $22.50 / $0.60
    opus = ("2026-02-14", "claude-opus-4-6-fast")
    assert reference[opus][4] == pytest.approx(6 * 0.1725)
    assert mine[opus][4] == pytest.approx(6 * 0.3325)  # $10 / $37.50 / $1.00, times 6 for fast mode
    search = ("2026-02-16", "claude-sonnet-4-5-20250929")
    assert reference[search][4] == pytest.approx(0.00018)
    assert mine[search][4] == pytest.approx(0.00018 + 0.03)
    for key in reference:
        assert mine[key][:4] == reference[key][:4]
