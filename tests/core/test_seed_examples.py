"""Every Python example of the original documentation runs with only the import changed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def test_seed_examples_run_unchanged(tmp_path: Path) -> None:
    env = dict(os.environ, MODEL_CONFIG_DB=str(tmp_path / "seed.db"), PYTHONPATH=str(HERE.parent.parent))
    proc = subprocess.run(
        [sys.executable, str(HERE / "seed_examples.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Selected model: claude-opus-5" in out
    assert "Confidence: 95%" in out
    assert "Actual cost: $0.5500" in out  # 45k x $5 + 13k x $25 per million
    assert "Budget: $0.55 / $10.00" in out
    assert "Alert level: ok" in out
    assert "Total operations: 1" in out
    assert "software-architect: $0.55 (1 ops)" in out and "backend-engineer: $0.24 (1 ops)" in out
    assert "claude-sonnet-4-5:\n  Cost: $0.24 (30.4%)" in out
    assert "DAILY:\n  $0.79 / $10.00\n  Alert: ok" in out
    assert "=== ROI ANALYSIS ===\nTotal cost: $150.00" in out
    assert (tmp_path / "cost_history.csv").read_text().count("\n") == 3  # header + 2 records
    assert (tmp_path / "analytics_report.json").stat().st_size > 0
