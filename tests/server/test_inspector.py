"""The MCP Inspector CLI (a real third-party client) against the server over stdio and Streamable HTTP.

The Inspector is installed once per machine into pytest's cache directory with npm (node 20+).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

INSPECTOR = "@modelcontextprotocol/inspector@2.12.0"
TOKEN = "inspector-test-token"


@pytest.fixture(scope="session")
def inspector(request: pytest.FixtureRequest) -> list[str]:
    """The command that runs the Inspector CLI, installing it on first use."""
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, "the Inspector test needs node 20+ and npm on PATH"
    prefix = Path(request.config.cache.mkdir("mcp-inspector-" + INSPECTOR.rsplit("@", 1)[1]))
    entry = prefix / "node_modules" / "@modelcontextprotocol" / "inspector" / "package.json"
    if not entry.exists():
        env = dict(os.environ, npm_config_cache=str(prefix / ".npm-cache"), npm_config_update_notifier="false")
        subprocess.run(
            [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", "--ignore-scripts", INSPECTOR],
            check=True,
            env=env,
            capture_output=True,
            timeout=300,
        )
    package = json.loads(entry.read_text())
    return [node, str(entry.parent / package["bin"]["mcp-inspector"]), "--cli"]


def run(inspector: list[str], *args: str, env: dict[str, str], cwd: Path) -> Any:
    proc = subprocess.run([*inspector, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return json.loads(proc.stdout)


def test_inspector_over_stdio(
    inspector: list[str], python: str, server_env: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    env = server_env()
    forwarded = [f"-e{key}={env[key]}" for key in ("MODEL_CONFIG_DB", "MODEL_CONFIG_DIR", "HOME", "PYTHONPATH", "TZ")]
    target = [*forwarded, python, "-m", "server"]

    listed = run(inspector, *target, "--method", "tools/list", "--strict", env=env, cwd=tmp_path)
    assert {t["name"] for t in listed["tools"]} >= {"select_model", "track_usage", "check_budget", "get_dashboard"}

    tracked = run(
        inspector,
        *target,
        "--method",
        "tools/call",
        "--tool-name",
        "track_usage",
        "--tool-arg",
        "agent_type=qa-engineer",
        "--tool-arg",
        "model_type=claude-sonnet-4-5",
        "--tool-arg",
        "input_tokens=1000",
        "--tool-arg",
        "output_tokens=100",
        "--tool-arg",
        "request_id=insp-1",
        env=env,
        cwd=tmp_path,
    )
    assert tracked["isError"] is False and tracked["structuredContent"]["recorded"] is True

    budget = run(inspector, *target, "--method", "tools/call", "--tool-name", "check_budget", env=env, cwd=tmp_path)
    assert budget["structuredContent"]["current_spending"] == 0.0045

    report = run(inspector, *target, "--method", "resources/read", "--uri", "budget://report", env=env, cwd=tmp_path)
    (content,) = report["contents"]
    assert content["mimeType"] == "application/json"
    assert json.loads(content["text"])["periods"]["daily"]["current_spending"] == 0.0045


def test_inspector_over_streamable_http(
    inspector: list[str], start_http: Callable[..., str], server_env: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    url = start_http("http", MODEL_CONFIG_TOKEN=TOKEN)
    env = server_env()
    header = ["--header", f"Authorization: Bearer {TOKEN}"]
    listed = run(inspector, url, "--transport", "http", *header, "--method", "tools/list", env=env, cwd=tmp_path)
    assert len(listed["tools"]) == 14
    called = run(
        inspector,
        url,
        "--transport",
        "http",
        *header,
        "--method",
        "tools/call",
        "--tool-name",
        "list_models",
        "--tool-arg",
        "tier=opus",
        "--tool-arg",
        "limit=3",
        env=env,
        cwd=tmp_path,
    )
    assert {m["tier"] for m in called["structuredContent"]["models"]} == {"opus"}
    refused = subprocess.run(
        [*inspector, url, "--transport", "http", "--method", "tools/list"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    # Without the token the server answers 401, which the Inspector takes as "OAuth needed".
    assert refused.returncode != 0 and "auth_required" in refused.stdout + refused.stderr
