"""Every test gets its own database and config directory, and never sees the user's real ones."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the property tests on a fixed seed: a run is reproducible, and a new counterexample is
# found by developers' runs (random seeds), not by a submission that happens to draw it.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("MODEL_CONFIG_DB", str(tmp_path / "usage.db"))
    monkeypatch.setenv("MODEL_CONFIG_DIR", str(config))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TZ", "UTC")
    for alias in ("OPUS", "SONNET", "HAIKU", "FABLE"):
        monkeypatch.delenv(f"ANTHROPIC_DEFAULT_{alias}_MODEL", raising=False)
    monkeypatch.delenv("MODEL_CONFIG_TOKEN", raising=False)
    monkeypatch.delenv("CLAUDE_PROJECT_DIR", raising=False)
    # Hooks run in their own process (tests/claude_code/test_hook_server.py starts hook servers itself).
    monkeypatch.setenv("MODEL_CONFIG_HOOK_SERVER", "0")
    return tmp_path


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _run_on_tty(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run `python -m core ARGS` with stdout and stderr on a pseudo-terminal; returns (exit code, output)."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    full_env.update(env or {})
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "core", *args],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        cwd=cwd,
        env=full_env,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(timeout=60), b"".join(chunks).decode("utf-8")


@pytest.fixture
def run_on_tty() -> Callable[..., tuple[int, str]]:
    """`_run_on_tty`: a command line's output as a terminal shows it (colour, progress lines)."""
    return _run_on_tty
