"""Command-line tests run the real CLI in a subprocess against the per-test database and config dir.

Helpers are fixtures (the suite imports test modules with --import-mode=importlib):
`cli(*args, env=...)` runs `python -m core`, `write_config(cost=..., mapping=...)` writes the config
files, `seeded` fills the ledger with a realistic 40 days of usage.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core import ModelConfigManager
from core.windows import utcnow


@dataclass
class Result:
    args: tuple[str, ...]
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def __repr__(self) -> str:  # what pytest shows when an assertion on a result fails
        return f"Result(args={self.args!r}, code={self.code}, out={self.out[:2000]!r}, err={self.err[:2000]!r})"


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None, script: list[str] | None = None) -> Result:
    full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    full_env.update(env or {})
    proc = subprocess.run(
        [*(script or [sys.executable, "-m", "core"]), *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
    )
    return Result(args, proc.returncode, proc.stdout, proc.stderr)


def write_config(config_dir: Path, cost: dict[str, Any] | None = None, mapping: dict[str, Any] | None = None) -> None:
    if cost is not None:
        (config_dir / "cost-optimization.json").write_text(json.dumps(cost), encoding="utf-8")
    if mapping is not None:
        (config_dir / "agent-model-mapping.json").write_text(json.dumps(mapping), encoding="utf-8")


def today_noonish(now: datetime | None = None) -> datetime:
    """A moment earlier today (UTC, the tests' zone), never in the future."""
    now = now or utcnow()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + (now - midnight) / 2


def seed_usage(days: int = 40) -> dict[str, int]:
    """A realistic ledger: three agents on three tiers, two projects, sessions, cache use, one unpriced model.

    One record per agent per day for `days` days (today included), plus three for today.
    """
    now = utcnow()
    usages: list[dict[str, Any]] = []
    for d in range(days):
        ts = today_noonish(now) if d == 0 else (now - timedelta(days=d)).replace(hour=12, minute=0)
        usages += [
            dict(
                agent_type="software-architect",
                model_type="claude-opus-5",
                input_tokens=20_000,
                output_tokens=4_000,
                project_id="api",
                session_id=f"s-{d % 3}",
                task_description="format the changelog",
                timestamp=ts,
            ),
            dict(
                agent_type="backend-engineer",
                model_type="claude-sonnet-5",
                input_tokens=400_000,
                output_tokens=9_000,
                project_id="web",
                session_id=f"s-{d % 3}",
                task_description="Implement the login endpoint",
                timestamp=ts,
            ),
            dict(
                agent_type="code-formatter",
                model_type="claude-haiku-4-5",
                input_tokens=3_000,
                output_tokens=500,
                cache_read_input_tokens=30_000,
                cache_creation_input_tokens=2_000,
                timestamp=ts,
            ),
        ]
    ts = today_noonish(now)
    usages += [
        dict(
            agent_type="software-architect",
            model_type="claude-opus-5",
            input_tokens=50_000,
            output_tokens=10_000,
            project_id="api",
            task_description="Design the payment service architecture",
            timestamp=ts,
        ),
        dict(
            agent_type="backend-engineer",
            model_type="claude-sonnet-5",
            input_tokens=100_000,
            output_tokens=20_000,
            project_id="api",
            timestamp=ts,
        ),
        dict(
            agent_type="backend-engineer",
            model_type="my-local-model",
            input_tokens=1_000,
            output_tokens=100,
            timestamp=ts,
        ),
    ]
    with ModelConfigManager(db_path=os.environ["MODEL_CONFIG_DB"]) as manager:
        new, dup = manager.cost_tracker.track_many(usages)
    return {"records": new, "duplicates": dup}


@pytest.fixture
def cli(isolated_env: Path) -> Callable[..., Result]:
    def run(*args: str, env: dict[str, str] | None = None, script: list[str] | None = None) -> Result:
        return run_cli(*args, cwd=isolated_env, env=env, script=script)

    return run


@pytest.fixture
def run_main(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """The same command line in-process (fast): for the many variants of a command a subprocess test covers."""
    from core.cli import main

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(args, code, captured.out, captured.err)

    return run


@pytest.fixture
def config_dir(isolated_env: Path) -> Path:
    return isolated_env / "config"


@pytest.fixture(name="write_config")
def write_config_fixture(config_dir: Path) -> Callable[..., None]:
    def write(cost: dict[str, Any] | None = None, mapping: dict[str, Any] | None = None) -> None:
        write_config(config_dir, cost, mapping)

    return write


@pytest.fixture
def seeded(isolated_env: Path) -> dict[str, int]:
    return seed_usage()
