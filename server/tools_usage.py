"""Tools an agent calls around each task: choose a model, record what it used, check the budget."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations
from pydantic import Field

from core.budgets import BudgetReport
from core.models import BudgetStatus, CostRecord, ModelRecommendation, Tier
from core.selector import MAX_ESTIMATED_TOKENS
from core.usage import MAX_NAME
from resources.views import ModelCatalogue, model_catalogue

from .args import AgentType, Limit, Offset, Period, ProjectId, SessionId, TaskDescription, Tokens
from .context import app_of, manager_for_report
from .results import TrackUsageResult, usage_line
from .tooling import READ_ONLY, make_tool


def select_model(
    ctx: Context[Any, Any],
    agent_type: AgentType,
    task_description: TaskDescription = None,
    performance_profile: Annotated[
        Literal["fast", "balanced", "quality"] | None,
        Field(description="fast caps at sonnet, quality lifts simple work to sonnet and hard work to opus"),
    ] = None,
    estimated_tokens: Annotated[
        int, Field(ge=1, le=MAX_ESTIMATED_TOKENS, description="Expected tokens in + out, for the cost estimate")
    ] = 10_000,
    project_id: ProjectId = None,
) -> ModelRecommendation:
    """Recommend the cheapest Claude model that fits a task, before you start it.

    Call this before delegating work to an agent or starting a model call. The choice starts from the
    agent's role, moves up or down a tier with the task's complexity and the performance profile, and
    steps down when a budget is critical, exceeded, or too small for the estimate. Returns the model id,
    its tier, the estimated cost, a confidence, the reasoning step by step, cheaper and dearer
    alternatives, and the budget situation that shaped the choice (budget_alert_level, budget_period,
    budget_remaining, downgraded_for_budget).
    """
    manager = manager_for_report(ctx)
    return manager.select_model(
        agent_type,
        task_description=task_description,
        performance_profile=performance_profile,
        estimated_tokens=estimated_tokens,
        project_id=project_id,
    )


async def track_usage(
    ctx: Context[Any, Any],
    agent_type: AgentType,
    model_type: Annotated[
        str,
        Field(
            min_length=1,
            max_length=MAX_NAME,
            description="Model id as the API reported it (e.g. 'claude-sonnet-4-5-20250929') or an alias ('sonnet')",
        ),
    ],
    input_tokens: Annotated[Tokens, Field(description="Uncached input tokens (the API's usage.input_tokens)")],
    output_tokens: Annotated[Tokens, Field(description="Output tokens (usage.output_tokens)")],
    cache_read_input_tokens: Annotated[Tokens, Field(description="usage.cache_read_input_tokens")] = 0,
    cache_creation_input_tokens: Annotated[
        Tokens | None, Field(description="usage.cache_creation_input_tokens (all cache writes)")
    ] = None,
    cache_creation_5m_input_tokens: Annotated[
        Tokens | None, Field(description="Cache writes with the 5-minute TTL (usage.cache_creation.ephemeral_5m_...)")
    ] = None,
    cache_creation_1h_input_tokens: Annotated[
        Tokens | None, Field(description="Cache writes with the 1-hour TTL (usage.cache_creation.ephemeral_1h_...)")
    ] = None,
    web_search_requests: Annotated[Tokens, Field(description="usage.server_tool_use.web_search_requests")] = 0,
    project_id: ProjectId = None,
    session_id: SessionId = None,
    task_description: TaskDescription = None,
    request_id: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=512,
            description="Unique id of the model call (e.g. the API's msg_... id). A repeat with the same id "
            "records nothing new, so retries are safe",
        ),
    ] = None,
    timestamp: Annotated[datetime | None, Field(description="When the call happened (ISO 8601); default now")] = None,
    batch: Annotated[bool, Field(description="Sent through the Batch API (half price)")] = False,
    fast_mode: Annotated[bool, Field(description="Sent with fast mode (premium price on some models)")] = False,
) -> TrackUsageResult:
    """Record the tokens one model call used and what it cost.

    Call this after every model call (or agent task) with the usage the API reported. Prices come from
    the catalogue for the call's date (cache reads and writes, batch and fast mode included). Pass a
    request_id so that a retry never counts twice. Returns the stored record with its cost broken down,
    and, in new_alerts and the summary line, every budget threshold (info, warning, critical, exceeded)
    this call pushed spending across for the first time in its window.
    """
    app = app_of(ctx)
    usage = dict(
        cache_creation_input_tokens=cache_creation_input_tokens,
        cache_creation_5m_input_tokens=cache_creation_5m_input_tokens,
        cache_creation_1h_input_tokens=cache_creation_1h_input_tokens,
        cache_read_input_tokens=cache_read_input_tokens,
        web_search_requests=web_search_requests,
        request_id=request_id,
        timestamp=timestamp,
        batch=batch,
        fast_mode=fast_mode,
    )

    def record_it() -> CostRecord:  # in a worker thread: the first call also opens the ledger
        return app.state.manager.track_usage(
            agent_type, model_type, input_tokens, output_tokens, project_id, session_id, task_description, **usage
        )

    record = await anyio.to_thread.run_sync(record_it)
    if not record.duplicate:
        await app.subscriptions.records_changed(ctx)
    return TrackUsageResult(recorded=not record.duplicate, summary=usage_line(record), record=record)


def check_budget(
    ctx: Context[Any, Any],
    period: Period = "daily",
    scope: Annotated[
        str,
        Field(
            min_length=1,
            max_length=MAX_NAME + 8,
            description="'global', or a configured scoped budget: 'project:<id>' or 'agent:<type>'",
        ),
    ] = "global",
) -> BudgetStatus:
    """Check spending against one budget for its current calendar window.

    Call this before expensive work, or when select_model reports a budget alert. Returns the window
    (start, end, time zone), the limit, spending so far, what remains, the share used, the alert level
    (ok, info, warning, critical, exceeded), whether auto-downgrade is on, and an end-of-window forecast
    with the method behind it.
    """
    return manager_for_report(ctx).check_budget(period, scope=scope)


def get_budget_report(ctx: Context[Any, Any]) -> BudgetReport:
    """Every budget at once: daily, weekly and monthly, plus configured project and agent budgets.

    Call this for an overview of where spending stands. Returns each budget's status (as check_budget),
    the worst alert level, whether models are being downgraded, the alerts of the last 31 days (up to
    20), and all-time spending.
    """
    return manager_for_report(ctx).get_budget_report()


def list_models(
    ctx: Context[Any, Any],
    tier: Annotated[Literal["haiku", "sonnet", "opus"] | None, Field(description="Only models of this tier")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ModelCatalogue:
    """The priced model catalogue and how tiers, aliases and agents map to models.

    Call this to see what a model costs or which model each tier means. Returns today's standard prices
    (USD per million tokens: input, output, cache writes and reads; long-context rates where they
    apply), the model behind each tier and Claude Code alias, the configured agent mapping, and the
    catalogue one page at a time, cheapest tier first.
    """
    manager = app_of(ctx).state.manager
    return model_catalogue(manager, tier=Tier(tier) if tier else None, limit=limit, offset=offset)


def tools() -> list[Tool]:
    track = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
    return [
        make_tool(select_model, "Select a model", READ_ONLY),
        make_tool(track_usage, "Track usage", track),
        make_tool(check_budget, "Check a budget", READ_ONLY),
        make_tool(get_budget_report, "Budget report", READ_ONLY),
        make_tool(list_models, "List models and prices", READ_ONLY),
    ]
