"""The MCP server: tools and resources over one `ServerState`, on any transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from mcp.server import MCPServer
from mcp.types import SubscribeRequestParams, UnsubscribeRequestParams

from resources import register_resources

from . import tools_data, tools_reports, tools_usage
from .context import App
from .state import ServerState

INSTRUCTIONS = """\
Cost-aware model selection and usage tracking for Claude agents.
- Before a task: select_model(agent_type, task_description) picks the cheapest model that fits and says
  how the budget shaped the choice.
- After each model call: track_usage(...) with the usage the API reported and a request_id; its result
  names any budget threshold the call crossed.
- To report: check_budget, get_budget_report, get_dashboard, get_cost_summary, get_agent_efficiency,
  calculate_roi, get_recommendations. Prices: list_models.
Money is in USD."""


def _version() -> str:
    try:
        return version("model-config")
    except PackageNotFoundError:
        return "0"


def build_server(state: ServerState | None = None) -> MCPServer[App]:
    """An MCP server over `state` (a fresh one on the default database if not given).

    The caller owns `state` and closes it; the lifespan only hands it to each connection.
    """
    app = App(state or ServerState())

    @asynccontextmanager
    async def lifespan(_: MCPServer[App]) -> AsyncIterator[App]:
        yield app

    mcp: MCPServer[App] = MCPServer(
        "model-config",
        title="model-config",
        description="Model selection, usage ledger, budgets and cost analytics for Claude agents",
        instructions=INSTRUCTIONS,
        version=_version(),
        lifespan=lifespan,
        log_level="WARNING",
        tools=[*tools_usage.tools(), *tools_reports.tools(), *tools_data.tools()],
    )
    register_resources(mcp, app.state)
    # MCPServer has no public hook for resources/subscribe (handshake-era clients); the low-level
    # server does, and advertises `resources.subscribe` once a handler is registered.
    lowlevel: Any = mcp._lowlevel_server
    lowlevel.add_request_handler("resources/subscribe", SubscribeRequestParams, app.subscriptions.subscribe)
    lowlevel.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, app.subscriptions.unsubscribe)
    return mcp
