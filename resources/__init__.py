"""MCP resources: read-only JSON views of budgets, cost history, prices and configuration.

Static: budget://report, costs://history, pricing://models, config://effective.
Templates: budget://{period}, costs://history/{days}, costs://daily/{days}.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from core import ModelConfigManager
from core.errors import ModelConfigError

from .views import daily_costs, effective_config, model_catalogue, record_page

if TYPE_CHECKING:
    from mcp.server import MCPServer

    from server.state import ServerState

JSON = "application/json"
RECENT_RECORDS = 50
MAX_DAYS = 366
PERIODS = ("daily", "weekly", "monthly")


def register_resources(mcp: MCPServer[Any], state: ServerState) -> None:
    # mcp is imported here, not at the top, so that `resources.views` stays importable without it.
    from mcp.server.mcpserver.exceptions import ResourceError
    from mcp.shared.exceptions import MCPError
    from mcp.types import INVALID_PARAMS

    def read(view: Callable[[ModelConfigManager], BaseModel]) -> str:
        try:
            state.refresh()
            return view(state.manager).model_dump_json()
        except ModelConfigError as exc:
            raise ResourceError(str(exc)) from exc

    def whole_days(value: str) -> int:
        if not value.isdigit() or not 1 <= int(value) <= MAX_DAYS:
            raise MCPError(INVALID_PARAMS, f"days must be a whole number from 1 to {MAX_DAYS}, got {value!r}")
        return int(value)

    @mcp.resource(
        "budget://report",
        title="Budget report",
        mime_type=JSON,
        description="Every budget (daily, weekly, monthly and scoped): spending, remaining, alert level, "
        "forecast; recent alerts; all-time spending. Updated by each new usage record.",
    )
    def budget_report() -> str:
        return read(lambda m: m.get_budget_report())

    @mcp.resource(
        "budget://{period}",
        title="Budget status",
        mime_type=JSON,
        description="One global budget for its current window: period is daily, weekly or monthly.",
    )
    def budget_status(period: str) -> str:
        if period not in PERIODS:
            raise MCPError(INVALID_PARAMS, f"unknown budget period {period!r}; use daily, weekly or monthly")
        return read(lambda m: m.check_budget(period))

    @mcp.resource(
        "costs://history",
        title="Recent usage",
        mime_type=JSON,
        description=f"The {RECENT_RECORDS} most recent usage records, newest first, with the total count.",
    )
    def recent_history() -> str:
        return read(lambda m: record_page(m, None, limit=RECENT_RECORDS))

    @mcp.resource(
        "costs://history/{days}",
        title="Usage in a window",
        mime_type=JSON,
        description=f"Usage records of the last N local calendar days (1 to 366), newest first, at most "
        f"{RECENT_RECORDS}; total_records says how many there are (the get_usage_records tool pages through them).",
    )
    def window_history(days: str) -> str:
        n = whole_days(days)
        return read(lambda m: record_page(m, n, limit=RECENT_RECORDS))

    @mcp.resource(
        "costs://daily/{days}",
        title="Daily costs",
        mime_type=JSON,
        description="Cost, operations and tokens per local calendar day for the last N days (1 to 366).",
    )
    def daily(days: str) -> str:
        n = whole_days(days)
        return read(lambda m: daily_costs(m, n))

    @mcp.resource(
        "pricing://models",
        title="Model prices",
        mime_type=JSON,
        description="Today's prices (USD per million tokens) of every Claude model in the catalogue and "
        "of configured models, and the model behind each tier and alias.",
    )
    def pricing() -> str:
        return read(lambda m: model_catalogue(m))

    @mcp.resource(
        "config://effective",
        title="Effective configuration",
        mime_type=JSON,
        description="The configuration in force (budgets, thresholds, mapping, pricing overrides), the "
        "files it was read from, and which file each value came from.",
    )
    def config() -> str:
        return read(lambda m: effective_config(m, str(state.export_dir)))
