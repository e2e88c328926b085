"""The server as a real process: stdio, Streamable HTTP and SSE, with their security checks."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from core import ModelConfigManager

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

TOKEN = "s3cret-token-for-tests"
TRACK = {
    "agent_type": "backend-engineer",
    "model_type": "claude-sonnet-4-5",
    "input_tokens": 1000,
    "output_tokens": 100,
}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}},
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def stdio(python: str, env: dict[str, str], cwd: Path) -> StdioServerParameters:
    return StdioServerParameters(command=python, args=["-m", "server"], env=env, cwd=str(cwd))


# -- stdio --------------------------------------------------------------------------------------


@pytest.mark.parametrize("entry_point", ["python -m server", "model-config serve"])
async def test_stdio_subprocess_serves_tools_and_resources(
    python: str, server_env: Callable[..., dict[str, str]], tmp_path: Path, entry_point: str
) -> None:
    if entry_point == "python -m server":
        params = stdio(python, server_env(), tmp_path)
    else:  # the console script installed next to this interpreter
        script = str(Path(python).parent / "model-config")
        params = StdioServerParameters(command=script, args=["serve"], env=server_env(), cwd=str(tmp_path))
    async with Client(params, mode="legacy") as client:
        assert len((await client.list_tools()).tools) == 14
        tracked = await client.call_tool("track_usage", TRACK | {"request_id": "x1"})
        assert not tracked.is_error and tracked.structured_content["recorded"] is True  # type: ignore[index]
        budget = await client.call_tool("check_budget", {"period": "weekly"})
        assert budget.structured_content["current_spending"] == 0.0045  # type: ignore[index]
        report = await client.read_resource("budget://report")
        assert json.loads(report.contents[0].text)["periods"]["daily"]["current_spending"] == 0.0045  # type: ignore[union-attr]
        bad = await client.call_tool("track_usage", TRACK | {"output_tokens": -5})
        assert bad.is_error
        again = await client.call_tool("check_budget", {})  # the server is still up after a failed call
        assert not again.is_error


def test_stdio_stdout_carries_only_protocol_messages(
    python: str, server_env: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    messages = [
        INITIALIZE,
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "track_usage", "arguments": TRACK}},
        {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "check_budget", "arguments": {"x": 1}}},
        {"jsonrpc": "2.0", "id": 4, "method": "resources/read", "params": {"uri": "costs://history"}},
    ]
    log = tmp_path / "stderr.log"
    with (
        log.open("w") as err,
        subprocess.Popen(
            [python, "-m", "server", "--log-level", "DEBUG"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            env=server_env(),
            cwd=tmp_path,
            text=True,
        ) as proc,
    ):
        assert proc.stdin and proc.stdout
        proc.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
        proc.stdin.flush()
        # Keep stdin open until every answer is in (end of input ends the session at once).
        replies = sorted((json.loads(proc.stdout.readline()) for _ in range(4)), key=lambda r: r["id"])
        proc.stdin.close()
        assert proc.stdout.read() == ""
        assert proc.wait(timeout=20) == 0
    assert [r["id"] for r in replies] == [1, 2, 3, 4]
    assert replies[0]["result"]["serverInfo"]["name"] == "model-config"
    assert replies[1]["result"]["isError"] is False
    assert replies[2]["result"]["isError"] is True  # an unknown argument is a schema validation error
    assert "DEBUG" in log.read_text()  # logs went to stderr


# -- Streamable HTTP ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_streamable_http_with_token(start_http: Callable[..., str], mode: str) -> None:
    url = start_http("http", MODEL_CONFIG_TOKEN=TOKEN)
    assert url.endswith("/mcp")
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    async with http, Client(streamable_http_client(url, http_client=http), mode=mode) as client:
        tracked = await client.call_tool("track_usage", TRACK)
        assert not tracked.is_error
        report = await client.read_resource("budget://daily")
        assert json.loads(report.contents[0].text)["current_spending"] == 0.0045  # type: ignore[union-attr]


def test_streamable_http_refuses_missing_token_foreign_origin_and_host(start_http: Callable[..., str]) -> None:
    url = start_http("http", MODEL_CONFIG_TOKEN=TOKEN)
    port = url.rsplit(":", 1)[1].split("/")[0]
    auth = {"Authorization": f"Bearer {TOKEN}"}

    def post(**headers: str) -> httpx2.Response:
        return httpx2.post(url, json=INITIALIZE, headers=MCP_HEADERS | headers, timeout=10)

    missing = post()
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    assert post(Authorization="Bearer wrong").status_code == 401
    assert post(Authorization=TOKEN).status_code == 401  # no scheme
    assert post(**auth, Origin="http://evil.example").status_code == 403
    assert post(Origin="http://evil.example").status_code == 403
    assert post(**auth, Origin=f"http://localhost.evil.example:{port}").status_code == 403
    assert post(**auth, Host=f"evil.example:{port}").status_code == 421
    allowed = post(**auth, Origin=f"http://localhost:{port}")
    assert allowed.status_code == 200, allowed.text
    assert post(**auth).status_code == 200


def test_streamable_http_without_token_is_loopback_only(start_http: Callable[..., str]) -> None:
    url = start_http("http")
    assert httpx2.post(url, json=INITIALIZE, headers=MCP_HEADERS, timeout=10).status_code == 200
    foreign = httpx2.post(url, json=INITIALIZE, headers=MCP_HEADERS | {"Origin": "https://evil.example"}, timeout=10)
    assert foreign.status_code == 403


# -- SSE ----------------------------------------------------------------------------------------


async def test_sse_with_token(start_http: Callable[..., str]) -> None:
    url = start_http("sse", MODEL_CONFIG_TOKEN=TOKEN)
    assert url.endswith("/sse")
    async with Client(sse_client(url, headers={"Authorization": f"Bearer {TOKEN}"}), mode="legacy") as client:
        tracked = await client.call_tool("track_usage", TRACK)
        assert not tracked.is_error
        budget = await client.call_tool("check_budget", {})
        assert budget.structured_content["current_spending"] == 0.0045  # type: ignore[index]


def test_sse_refuses_missing_token_and_foreign_origin(start_http: Callable[..., str]) -> None:
    url = start_http("sse", MODEL_CONFIG_TOKEN=TOKEN)
    base = url.removesuffix("/sse")

    def get(path: str, **headers: str) -> int:
        with httpx2.stream("GET", base + path, headers=headers, timeout=10) as response:
            return response.status_code

    assert get("/sse") == 401
    assert get("/sse", Authorization=f"Bearer {TOKEN}", Origin="http://evil.example") == 403
    assert get("/sse", Authorization=f"Bearer {TOKEN}") == 200
    posted = httpx2.post(base + "/messages/?session_id=0", json=INITIALIZE, timeout=10)
    assert posted.status_code == 401


# -- several processes, one database ------------------------------------------------------------


async def test_four_stdio_servers_write_one_ledger(
    python: str, server_env: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    env = server_env()

    async def run(worker: int) -> None:
        async with Client(stdio(python, env, tmp_path), mode="legacy") as client:
            for i in range(250):
                result = await client.call_tool("track_usage", TRACK | {"request_id": f"w{worker}-{i}"})
                assert not result.is_error, result.content

    with anyio.fail_after(120):
        async with anyio.create_task_group() as tg:
            for worker in range(4):
                tg.start_soon(run, worker)
    with ModelConfigManager() as manager:
        assert manager.ledger.count() == 1000
        totals = manager.ledger.totals("*")
        assert totals.ops == 1000 and totals.cost_pico == 1000 * 4_500_000_000
