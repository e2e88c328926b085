"""Terminal behaviour: colour only on a TTY and never with NO_COLOR, progress on a TTY, a light start-up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_colour_on_a_tty_only_and_never_with_no_color(seeded, cli, write_config, isolated_env: Path, run_on_tty):
    write_config(cost={"budget_limits": {"daily": {"limit": 1}}})
    code, out = run_on_tty("budget", cwd=isolated_env)
    assert code == 0, out
    assert "\x1b[31;1mexceeded\x1b[0m" in out  # the exceeded daily budget in bold red
    assert "\x1b[1m" in out  # bold headings
    code, plain = run_on_tty("budget", cwd=isolated_env, env={"NO_COLOR": "1"})
    assert code == 0 and "\x1b[" not in plain and "exceeded" in plain
    piped = cli("budget")
    assert "\x1b[" not in piped.out and "exceeded" in piped.out
    code, dumb = run_on_tty("budget", cwd=isolated_env, env={"TERM": "dumb"})
    assert "\x1b[" not in dumb


def test_progress_on_a_tty_for_exports_and_pruning(seeded, cli, isolated_env: Path, run_on_tty):
    code, out = run_on_tty("export-costs", "all.csv", cwd=isolated_env)
    assert code == 0, out
    total = seeded["records"]
    assert f"\r\x1b[KExporting records [--------------------] 0%  0/{total:,}" in out
    assert f"\r\x1b[KWrote {total:,} record(s) from all time to all.csv" in out  # the progress line is cleared first
    code, out = run_on_tty("prune", "--older-than", "10", cwd=isolated_env)
    assert code == 0, out
    assert "\r\x1b[KPruning records [####################] 100%  90/90" in out
    assert "Deleted 90 of" in out
    quiet = cli("prune", "--older-than", "5")  # off the terminal: no progress at all
    assert quiet.code == 0 and quiet.err == "" and "Pruning" not in quiet.out


def test_ascii_fallback_when_the_terminal_cannot_show_unicode(seeded, cli):
    r = cli("dashboard", env={"PYTHONIOENCODING": "ascii"})
    assert r.code == 0, r
    assert "#" in r.out and "█" not in r.out and "·" not in r.out
    assert r.out.isascii()


def test_status_loads_neither_mcp_nor_the_price_catalogue(cli, isolated_env: Path):
    def imported(*args: str) -> set[str]:
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "core", *args],
            capture_output=True,
            text=True,
            cwd=isolated_env,
            env=dict(os.environ),
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        lines = [line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")]
        return {name.split(".")[0] for name in lines}

    light = imported("status")
    assert "mcp" not in light and "genai_prices" not in light and "server" not in light
    assert "genai_prices" in imported("models")  # the check can see the catalogue when it is loaded


def test_the_process_ends_with_every_byte_written_and_a_closed_pipe_is_quiet(cli, isolated_env: Path) -> None:
    """The command line ends its process with os._exit (core.process_exit): what it printed must all
    arrive first, through a pipe, and a reader that stops early must not make a traceback."""
    from datetime import UTC, datetime, timedelta

    from core import CostTracker

    tracker = CostTracker()
    start = datetime.now(UTC) - timedelta(days=2)
    tracker.track_many({"agent_type": f"agent-{i % 7}", "model_type": "claude-haiku-4-5", "input_tokens": i,
                        "output_tokens": 1, "timestamp": start + timedelta(seconds=i)} for i in range(3000))
    tracker.ledger.close()
    for script in ([sys.executable, "-m", "core"], [str(Path(sys.executable).with_name("model-config"))]):
        full = cli("history", "--limit", "1000", "--json", script=script)
        assert full.code == 0 and len(full.json()["records"]) == 1000 and len(full.out) > 200_000, full.err
        # A reader that takes one line and goes away.
        proc = subprocess.Popen([*script, "history", "--limit", "1000"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=isolated_env)
        assert proc.stdout is not None and proc.stdout.readline()
        proc.stdout.close()
        assert proc.wait(timeout=60) in (0, 1)
        assert proc.stderr is not None
        with proc.stderr:
            assert "Traceback" not in proc.stderr.read().decode()
