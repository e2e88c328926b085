"""Many processes opening one brand-new ledger file at the same moment (each Claude Code session
starts its own server): every one opens it, migrates it once, and writes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from core.store import Ledger

CHILD = """
import os, sys, time
from core import CostTracker
from core.store import Ledger  # imported before the barrier: the opens themselves must race
go, path = sys.argv[1], sys.argv[2]
while not os.path.exists(go):
    time.sleep(0.0005)
CostTracker(path).track_usage("agent", "claude-haiku-4-5", 10, 10)
print("ok")
"""


def test_simultaneous_first_open_of_a_new_file(tmp_path: Path) -> None:
    root = str(Path(__file__).parents[2])
    env = dict(os.environ, PYTHONPATH=root)
    for round_ in range(5):
        path = tmp_path / f"new-{round_}.db"
        go = tmp_path / f"go-{round_}"
        procs = [
            subprocess.Popen([sys.executable, "-c", CHILD, str(go), str(path)], env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(8)
        ]
        time.sleep(1.0)  # let every child import and wait at the barrier
        go.touch()
        outcomes = [p.communicate(timeout=90) for p in procs]
        assert all(p.returncode == 0 for p in procs), [err for _, err in outcomes]
        ledger = Ledger(str(path))
        assert ledger.count() == 8
        assert ledger.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        ledger.close()
