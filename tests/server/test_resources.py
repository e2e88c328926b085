"""Every resource through an in-process client in both protocol eras, and update notifications."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.server import MCPServer
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, ResourceUpdatedNotification

from server.context import App
from server.state import ServerState

pytestmark = pytest.mark.anyio

STATIC = {"budget://report", "costs://history", "pricing://models", "config://effective"}
TEMPLATES = {"budget://{period}", "costs://history/{days}", "costs://daily/{days}"}
TRACK = {
    "agent_type": "backend-engineer",
    "model_type": "claude-sonnet-4-5",
    "input_tokens": 1000,
    "output_tokens": 100,
}


async def read(client: Client, uri: str) -> Any:
    result = await client.read_resource(uri)
    (content,) = result.contents
    assert content.mime_type == "application/json"
    return json.loads(content.text)  # type: ignore[union-attr]


def seed(state: ServerState, n: int) -> None:
    state.manager.cost_tracker.track_many([{**TRACK, "request_id": f"r{i}"} for i in range(n)])


async def test_resources_are_listed_as_json(client: Client) -> None:
    resources = (await client.list_resources()).resources
    assert {str(r.uri) for r in resources} == STATIC
    templates = (await client.list_resource_templates()).resource_templates
    assert {t.uri_template for t in templates} == TEMPLATES
    for item in [*resources, *templates]:
        assert item.mime_type == "application/json" and item.description


async def test_budget_resources(client: Client, state: ServerState) -> None:
    seed(state, 2)
    report = await read(client, "budget://report")
    assert set(report["periods"]) == {"daily", "weekly", "monthly"}
    assert report["periods"]["daily"]["current_spending"] == 0.009
    for period in ("daily", "weekly", "monthly"):
        status = await read(client, f"budget://{period}")
        assert status["period"] == period and status["current_spending"] == 0.009


async def test_history_is_bounded(client: Client, state: ServerState) -> None:
    seed(state, 60)
    recent = await read(client, "costs://history")
    assert recent["total_records"] == 60 and len(recent["records"]) == 50 and recent["next_offset"] == 50
    window = await read(client, "costs://history/7")
    assert window["days"] == 7 and window["total_records"] == 60 and len(window["records"]) == 50
    daily = await read(client, "costs://daily/3")
    assert [d["operations"] for d in daily["daily"]] == [0, 0, 60] and daily["total_operations"] == 60


async def test_pricing_and_config(client: Client, write_config: Callable[..., Path]) -> None:
    path = write_config({"budget_limits": {"daily": {"limit": 25}}})
    pricing = await read(client, "pricing://models")
    assert pricing["total_models"] == len(pricing["models"]) > 10
    assert all(m["input_usd_per_mtok"] is not None for m in pricing["models"])
    config = await read(client, "config://effective")
    assert config["files"] == [str(path)]
    assert config["sources"]["cost.budget_limits.daily.limit"] == str(path)
    assert config["sources"]["cost.budget_limits.weekly.limit"] == "default"
    assert config["cost"]["budget_limits"]["daily"]["limit"] == "25"


@pytest.mark.parametrize("uri", ["budget://yearly", "costs://history/0", "costs://history/abc", "costs://daily/367"])
async def test_bad_template_values_are_invalid_params(client: Client, uri: str) -> None:
    with pytest.raises(MCPError) as caught:
        await client.read_resource(uri)
    assert caught.value.error.code == INVALID_PARAMS


async def test_a_bad_config_file_is_named_in_the_error(client: Client, write_config: Callable[..., Path]) -> None:
    path = write_config({"timezone": "Mars/Olympus"})
    with pytest.raises(MCPError, match="unknown IANA time zone") as caught:
        await client.read_resource("budget://report")
    assert str(path) in caught.value.error.message


async def test_unknown_resource(client: Client) -> None:
    with pytest.raises(MCPError, match="Unknown resource"):
        await client.read_resource("nothing://here")


# -- notifications ------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore:resources/.*subscribe is removed:mcp.shared.exceptions.MCPDeprecationWarning")
async def test_handshake_subscribers_hear_when_a_record_changes_the_budget(server: MCPServer[App]) -> None:
    heard: list[str] = []

    async def on_message(message: Any) -> None:
        if isinstance(message, ResourceUpdatedNotification):
            heard.append(str(message.params.uri))

    async with Client(server, mode="legacy", message_handler=on_message) as client:
        assert client.server_capabilities.resources and client.server_capabilities.resources.subscribe
        await client.subscribe_resource("budget://report")
        await client.subscribe_resource("costs://daily/7")
        await client.subscribe_resource("pricing://models")
        await client.call_tool("track_usage", TRACK | {"request_id": "a"})
        with anyio.fail_after(5):
            while len(heard) < 2:
                await anyio.sleep(0.01)
        assert sorted(heard) == ["budget://report", "costs://daily/7"]
        await client.call_tool("track_usage", TRACK | {"request_id": "a"})  # duplicate: nothing changed
        await client.unsubscribe_resource("costs://daily/7")
        await client.call_tool("track_usage", TRACK | {"request_id": "b"})
        with anyio.fail_after(5):
            while len(heard) < 3:
                await anyio.sleep(0.01)
        await client.call_tool("check_budget", {})  # a round trip after which any stray notification is in
        assert sorted(heard) == ["budget://report", "budget://report", "costs://daily/7"]


async def test_listen_subscribers_hear_when_a_record_changes_the_budget(server: MCPServer[App]) -> None:
    async with Client(server) as client:
        async with client.listen(resource_subscriptions=["budget://report", "budget://daily"]) as events:
            await client.call_tool("track_usage", TRACK)
            heard: list[str] = []
            with anyio.fail_after(5):
                async for event in events:
                    heard.append(str(event.uri))  # type: ignore[union-attr]
                    if len(heard) == 2:
                        break
            assert sorted(heard) == ["budget://daily", "budget://report"]
