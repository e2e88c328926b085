"""Enums and value objects shared by the library, the MCP server and the CLI.

Value objects are pydantic models so they validate on the way in and serialise with a schema on
the way out. Units are in the names (`_usd`, `_tokens`) where a name would otherwise be ambiguous;
the names the original system documented (`total_cost`, `budget_limit`, ...) are kept as they are.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .money import Money


class PerformanceProfile(StrEnum):
    FAST = "fast"
    BALANCED = "balanced"
    QUALITY = "quality"


class BudgetPeriod(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class CostDimension(StrEnum):
    AGENT = "agent"
    PROJECT = "project"
    SESSION = "session"
    MODEL = "model"
    DATE = "date"


class AlertLevel(StrEnum):
    OK = "ok"
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"
    EXCEEDED = "exceeded"

    @property
    def rank(self) -> int:
        return _ALERT_ORDER.index(self)


_ALERT_ORDER = [AlertLevel.OK, AlertLevel.INFO, AlertLevel.WARNING, AlertLevel.CRITICAL, AlertLevel.EXCEEDED]


class Tier(StrEnum):
    """Capability tiers, cheapest first. Each maps to a concrete model id through configuration."""

    HAIKU = "haiku"
    SONNET = "sonnet"
    OPUS = "opus"

    @property
    def rank(self) -> int:
        return _TIER_ORDER.index(self)

    def step(self, delta: int) -> Tier:
        return _TIER_ORDER[max(0, min(len(_TIER_ORDER) - 1, self.rank + delta))]


_TIER_ORDER = [Tier.HAIKU, Tier.SONNET, Tier.OPUS]


class ModelType(StrEnum):
    """Well-known Claude model ids. Any id the price catalogue knows is accepted as a plain string too."""

    OPUS_5 = "claude-opus-5"
    OPUS_4_8 = "claude-opus-4-8"
    OPUS_4_7 = "claude-opus-4-7"
    OPUS_4_6 = "claude-opus-4-6"
    OPUS_4_5 = "claude-opus-4-5"
    OPUS_4_1 = "claude-opus-4-1"
    OPUS_4 = "claude-opus-4-0"
    SONNET_5 = "claude-sonnet-5"
    SONNET_4_6 = "claude-sonnet-4-6"
    SONNET_4_5 = "claude-sonnet-4-5"
    SONNET_4 = "claude-sonnet-4-0"
    HAIKU_4_5 = "claude-haiku-4-5"
    HAIKU_3_5 = "claude-3-5-haiku-latest"
    HAIKU_3 = "claude-3-haiku"
    FABLE_5 = "claude-fable-5"


class _Frozen(BaseModel):
    # Built on first use: a hook or an import uses few of these, and building them all cost ~6 ms of
    # every process start.
    model_config = ConfigDict(frozen=True, defer_build=True)

    def __getitem__(self, key: str) -> Any:
        """Dict-style access (`status['alert_level']`), as the original system's dicts allowed."""
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None


class CostRecord(_Frozen):
    """One model call as stored in the ledger. Immutable once written."""

    record_id: str
    request_id: str | None = None
    timestamp: datetime
    agent_type: str
    model_type: str = Field(description="Model id as given by the caller, e.g. claude-sonnet-4-5-20250929")
    priced_model: str | None = Field(None, description="Catalogue entry the price came from; None if unpriced")
    project_id: str | None = None
    session_id: str | None = None
    task_description: str | None = None
    complexity: str | None = None
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int = 0
    cache_creation_1h_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    web_search_requests: int = 0
    batch: bool = False
    fast_mode: bool = False
    priced: bool = True
    price_note: str | None = None
    input_cost: Money
    output_cost: Money
    cache_write_cost: Money
    cache_read_cost: Money
    web_search_cost: Money
    total_cost: Money
    source: str = "api"
    duplicate: bool = Field(False, description="True when this request_id was already recorded; nothing added")
    new_alerts: list[BudgetAlert] = Field(
        default_factory=list, description="Budget thresholds this record pushed spending across (first time only)"
    )

    @property
    def cache_creation_5m_input_tokens(self) -> int:
        return self.cache_creation_input_tokens - self.cache_creation_1h_input_tokens

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens


class CostSummary(_Frozen):
    dimension: CostDimension
    dimension_value: str
    total_cost: Money
    record_count: int
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    unpriced_records: int = 0

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens


class BudgetAlert(_Frozen):
    scope: str
    period: BudgetPeriod
    window_start: datetime
    level: AlertLevel
    spending: Money
    budget_limit: Money
    created_at: datetime
    new: bool = Field(description="True the first time this (scope, window, level) was seen")


class BudgetStatus(_Frozen):
    period: BudgetPeriod
    scope: str = "global"
    window_start: datetime
    window_end: datetime
    timezone: str
    budget_limit: Money
    current_spending: Money
    remaining_budget: Money
    percentage_used: float
    alert_level: AlertLevel
    auto_downgrade: bool
    forecasted_spending: Money | None = None
    forecast_method: str | None = None
    unpriced_records: int = 0
    new_alerts: list[BudgetAlert] = Field(default_factory=list)


class ModelOption(_Frozen):
    """A concrete model for a tier. `.value` is the model id (as the original `ModelType.value`)."""

    value: str
    tier: Tier
    name: str | None = None

    def __str__(self) -> str:
        return self.value


class Alternative(_Frozen):
    tier: Tier
    model: str
    estimated_cost: Money | None


class ComplexitySignal(_Frozen):
    name: str
    level: Literal["low", "medium", "high"]
    weight: float
    matched: str


class ComplexityAnalysis(_Frozen):
    level: Literal["low", "medium", "high"]
    score: float
    signals: list[ComplexitySignal]
    explanation: str


class CostBasis(_Frozen):
    """How `estimated_cost` was computed from `estimated_tokens`."""

    estimated_tokens: int
    input_tokens: int
    output_tokens: int
    cache_read_input_tokens: int
    split: str


class ModelRecommendation(_Frozen):
    model: ModelOption
    tier: Tier
    estimated_cost: Money | None
    confidence: float = Field(ge=0, le=1)
    reasoning: list[str]
    agent_type: str
    base_tier: Tier
    complexity: ComplexityAnalysis
    performance_profile: PerformanceProfile
    budget_alert_level: AlertLevel
    budget_period: BudgetPeriod | None = None
    budget_remaining: Money | None = None
    downgraded_for_budget: bool = False
    alternatives: list[Alternative]
    cost_basis: CostBasis


class AgentEfficiency(_Frozen):
    agent_type: str
    days: int
    efficiency_score: float
    score_breakdown: dict[str, float]
    total_operations: int
    total_cost: Money
    average_cost_per_operation: Money
    total_tokens: int
    cache_hit_ratio: float
    preferred_model: str | None
    model_usage: dict[str, int]
    optimization_opportunities: list[str]


class ROIAssumptions(_Frozen):
    minutes_saved_per_operation: float
    realization_rate: float
    hourly_rate: float


class ROIAnalysis(_Frozen):
    time_period_days: int
    total_cost: Money
    total_operations: int
    estimated_time_saved_hours: float
    estimated_labor_cost_saved: Money
    net_benefit: Money
    roi_percentage: float | None
    breakeven_point: str
    breakeven_operations: int | None
    recommendations: list[str]
    assumptions: ROIAssumptions


class Recommendation(_Frozen):
    """An optimization recommendation with the evidence behind it and the saving it would bring."""

    kind: str
    title: str
    detail: str
    agent_type: str | None = None
    model: str | None = None
    estimated_monthly_saving_usd: Money
    evidence: dict[str, Any]

    def __str__(self) -> str:
        saving = (
            f" (saves ~${self.estimated_monthly_saving_usd:.2f}/month)" if self.estimated_monthly_saving_usd else ""
        )
        return f"{self.title}{saving}"
