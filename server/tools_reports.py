"""Reporting tools: where the money went, how efficient each agent is, what to change."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from pydantic import Field

from core.analytics import Dashboard
from core.models import AgentEfficiency, ROIAnalysis
from resources.views import RecordPage, next_offset, record_page

from .args import AgentType, Days, Limit, ModelFilter, Offset, OptionalDays, ProjectId, SessionId
from .context import manager_for_report
from .results import CostSummaryPage, RecommendationList
from .tooling import READ_ONLY, make_tool


def _filters(
    agent_type: str | None, project_id: str | None, session_id: str | None, model: str | None
) -> dict[str, str]:
    pairs = {"agent_type": agent_type, "project_id": project_id, "session_id": session_id, "model": model}
    return {k: v for k, v in pairs.items() if v is not None}


def get_dashboard(ctx: Context[Any, Any], days: Days = 7) -> Dashboard:
    """A spending dashboard for the last N days.

    Call this for a quick picture of costs. Returns totals (cost, operations, tokens, cache use), the
    ten most expensive agents and projects (with how many there are in all), the cost per model, and
    the cost of each day.
    """
    return manager_for_report(ctx).get_dashboard(days)


def get_cost_summary(
    ctx: Context[Any, Any],
    group_by: Annotated[
        Literal["agent", "project", "session", "model", "date"], Field(description="The dimension to total by")
    ] = "agent",
    days: OptionalDays = 7,
    agent_type: Annotated[str | None, Field(min_length=1, max_length=200, description="Only this agent")] = None,
    project_id: ProjectId = None,
    session_id: SessionId = None,
    model: ModelFilter = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> CostSummaryPage:
    """Costs totalled by agent, project, session, model or date, with optional filters.

    Call this to answer "what did X cost": e.g. group_by="model" with project_id set, or group_by="date"
    for one agent. Returns one row per value (cost, operations, tokens, unpriced operations), most
    expensive first (dates oldest first), one page at a time, and the total over all rows.
    """
    filters = _filters(agent_type, project_id, session_id, model)
    rows = manager_for_report(ctx).cost_tracker.get_summary(group_by, days, filters=filters)
    page = rows[offset : offset + limit]
    return CostSummaryPage(
        group_by=group_by,
        days=days,
        filters=filters,
        total_cost=sum((r.total_cost for r in rows), Decimal(0)),
        total_groups=len(rows),
        offset=offset,
        items=page,
        next_offset=next_offset(offset, len(page), len(rows)),
    )


def get_usage_records(
    ctx: Context[Any, Any],
    days: OptionalDays = 7,
    agent_type: Annotated[str | None, Field(min_length=1, max_length=200, description="Only this agent")] = None,
    project_id: ProjectId = None,
    session_id: SessionId = None,
    model: ModelFilter = None,
    limit: Annotated[int, Field(ge=1, le=50, description="Page size (1 to 50)")] = 20,
    offset: Offset = 0,
) -> RecordPage:
    """Individual usage records, newest first, one page at a time.

    Call this to inspect specific calls (e.g. the most recent ones of a session). Returns each record's
    tokens, cost breakdown, model and attribution, the number of matching records, and next_offset.
    """
    manager = manager_for_report(ctx)
    return record_page(manager, days, _filters(agent_type, project_id, session_id, model), limit=limit, offset=offset)


def get_agent_efficiency(ctx: Context[Any, Any], agent_type: AgentType, days: Days = 30) -> AgentEfficiency:
    """How cost-efficient one agent has been over the last N days.

    Call this when an agent looks expensive. Returns a 0-100 score with its parts (right-sizing: cost on
    a tier above what task complexity needed; cache use; cost per operation against the median agent),
    totals, the model it uses most, and concrete optimization opportunities.
    """
    return manager_for_report(ctx).get_agent_efficiency(agent_type, days)


def calculate_roi(
    ctx: Context[Any, Any],
    time_period_days: Days = 30,
    hourly_rate: Annotated[
        float | None, Field(ge=0, le=100_000, description="USD per hour of the work saved; default from configuration")
    ] = None,
) -> ROIAnalysis:
    """Return on the AI spend: estimated time saved against cost over the last N days.

    Call this to judge whether the spend pays off. Returns cost, operations, hours saved and their
    value, net benefit, ROI percentage, the break-even point, advice, and the assumptions used
    (minutes saved per operation, realization rate, hourly rate: set in cost-optimization.json).
    """
    return manager_for_report(ctx).calculate_roi(time_period_days, hourly_rate)


def get_recommendations(
    ctx: Context[Any, Any],
    days: Annotated[int, Field(ge=1, le=90, description="Evidence window: the last N days (1 to 90)")] = 7,
    limit: Annotated[int, Field(ge=1, le=50, description="Page size (1 to 50)")] = 10,
    offset: Offset = 0,
) -> RecommendationList:
    """Concrete ways to spend less, each with its evidence and an estimated monthly saving in USD.

    Call this to decide what to change. Kinds: right_size (work on a tier above what its complexity
    needed, repriced on the cheaper model), prompt_caching (much uncached input), budget_forecast (a
    budget on course to be exceeded), unpriced_model (usage whose cost is unknown). Largest saving first.
    """
    items = manager_for_report(ctx).get_optimization_recommendations(days)
    page = items[offset : offset + limit]
    return RecommendationList(
        days=days,
        total=len(items),
        total_estimated_monthly_saving_usd=sum((r.estimated_monthly_saving_usd for r in items), Decimal(0)),
        items=page,
        next_offset=next_offset(offset, len(page), len(items)),
    )


def tools() -> list[Tool]:
    return [
        make_tool(get_dashboard, "Cost dashboard", READ_ONLY),
        make_tool(get_cost_summary, "Cost summary", READ_ONLY),
        make_tool(get_usage_records, "Usage records", READ_ONLY),
        make_tool(get_agent_efficiency, "Agent efficiency", READ_ONLY),
        make_tool(calculate_roi, "ROI", READ_ONLY),
        make_tool(get_recommendations, "Optimization recommendations", READ_ONLY),
    ]
