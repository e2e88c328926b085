"""Fixtures for the MCP server: a server over the test's own database, and in-process clients that
speak either protocol era (`legacy`: the initialize handshake Claude Code uses over stdio; `auto`:
the SDK's default, 2026-07-28 per-request envelopes).

Helpers are fixtures (the suite imports test modules with --import-mode=importlib).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.server import MCPServer

from server.app import build_server
from server.context import App
from server.state import ServerOptions, ServerState

MODES = ["legacy", "auto"]
REPO = Path(__file__).resolve().parents[2]


Call = Callable[..., Awaitable[Any]]


@pytest.fixture
def write_config(isolated_env: Path) -> Callable[..., Path]:
    """Write a config file into $MODEL_CONFIG_DIR (before the server's first call reads it)."""

    def write(data: dict[str, Any], name: str = "cost-optimization.json") -> Path:
        path = Path(os.environ["MODEL_CONFIG_DIR"]) / name
        path.write_text(json.dumps(data), encoding="utf-8")
        return path

    return write


@pytest.fixture
def server_env(isolated_env: Path) -> Callable[..., dict[str, str]]:
    """The environment for a server subprocess: the test's isolated one, with the checkout importable."""

    def env(**extra: str) -> dict[str, str]:
        out = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        out["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), out.get("PYTHONPATH", "")) if p)
        out.update(extra)
        return out

    return env


@pytest.fixture
def python() -> str:
    return sys.executable


@pytest.fixture
def export_dir(tmp_path: Path) -> Path:
    return tmp_path / "exports"


@pytest.fixture
def state(export_dir: Path) -> Iterator[ServerState]:
    s = ServerState(ServerOptions(export_dir=str(export_dir)))
    yield s
    s.close()


@pytest.fixture
def server(state: ServerState) -> MCPServer[App]:
    return build_server(state)


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def client(server: MCPServer[App], mode: str) -> AsyncIterator[Client]:
    async with Client(server, mode=mode) as c:
        yield c


async def _ok(client: Client, tool: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    result = await client.call_tool(tool, args or {})
    text = result.content[0].text if result.content else ""  # type: ignore[union-attr]
    assert not result.is_error, text
    assert result.structured_content is not None
    assert json.loads(text) == result.structured_content
    return result.structured_content


async def _fails(client: Client, tool: str, args: dict[str, Any] | None = None) -> str:
    result = await client.call_tool(tool, args or {})
    assert result.is_error, result.structured_content
    return result.content[0].text  # type: ignore[union-attr]


@pytest.fixture
def ok() -> Call:
    """`await ok(client, tool, args)`: a call that must succeed; its structured content (checked against the text)."""
    return _ok


@pytest.fixture
def fails() -> Call:
    """`await fails(client, tool, args)`: a call that must give an is_error result; its message."""
    return _fails


@pytest.fixture
def start_http(tmp_path: Path, python: str, server_env: Callable[..., dict[str, str]]) -> Iterator[Callable[..., str]]:
    """Start `python -m server --transport T --port 0`; returns the URL it announces on stderr."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(transport: str, *extra: str, **env: str) -> str:
        log = tmp_path / f"server-{len(procs)}.log"
        with log.open("wb") as err:
            proc = subprocess.Popen(
                [python, "-m", "server", "--transport", transport, "--port", "0", *extra],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=server_env(**env),
                cwd=tmp_path,
            )
        procs.append(proc)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found = re.search(r"at (http://\S+) ", log.read_text())
            if found:
                return found.group(1)
            assert proc.poll() is None, log.read_text()
            time.sleep(0.05)
        raise AssertionError(f"server did not start: {log.read_text()}")

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)
