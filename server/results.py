"""Tool results that are not a single core model: pages, a tracking receipt, export and import receipts."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from core.models import CostDimension, CostRecord, CostSummary, Recommendation
from core.money import Money


class TrackUsageResult(BaseModel):
    recorded: bool = Field(description="False when this request_id was already recorded (nothing was added)")
    summary: str = Field(description="One line: what was recorded and any budget threshold it crossed")
    record: CostRecord = Field(description="The stored record; new_alerts lists thresholds crossed for the first time")


class CostSummaryPage(BaseModel):
    group_by: CostDimension
    days: int | None = Field(description="Window in local calendar days (today included); null = all time")
    filters: dict[str, str]
    total_cost: Money = Field(description="Sum over every group (all pages)")
    total_groups: int
    offset: int
    items: list[CostSummary] = Field(description="Most expensive first (by date: oldest first)")
    next_offset: int | None = Field(description="Pass as offset to get the next page; null when this is the last")


class RecommendationList(BaseModel):
    days: int
    total: int
    total_estimated_monthly_saving_usd: Money = Field(description="Sum over every recommendation (all pages)")
    items: list[Recommendation] = Field(description="Largest saving first")
    next_offset: int | None


class ExportResult(BaseModel):
    path: str
    format: str
    rows: int | None = Field(None, description="CSV rows written (header excluded)")
    bytes: int


class ImportResult(BaseModel):
    summary: dict[str, Any] = Field(description="The importer's summary: files read, records added, skipped, ...")
    duration_ms: int


def usage_line(record: CostRecord) -> str:
    if record.duplicate:
        return f"Already recorded (request_id {record.request_id!r}); nothing was added."
    cost = f"${record.total_cost:.6f}" if record.priced else "no cost (model has no known price)"
    line = (
        f"Recorded {cost} for {record.agent_type} on {record.model_type}: "
        f"{record.input_tokens:,} input / {record.output_tokens:,} output tokens"
    )
    if record.cache_read_input_tokens or record.cache_creation_input_tokens:
        line += f", {record.cache_read_input_tokens:,} cache read / {record.cache_creation_input_tokens:,} cache write"
    for alert in record.new_alerts:
        share = alert.spending * 100 / alert.budget_limit
        line += (
            f". Budget alert: {alert.scope} {alert.period.value} spending reached {alert.level.value.upper()} "
            f"(${alert.spending:.2f} of ${alert.budget_limit:.2f}, {share:.0f}%)"
        )
    return line + "."
