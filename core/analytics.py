"""AnalyticsEngine: dashboards, agent efficiency and ROI over the ledger.

Efficiency score (0-100), three parts:
- right-sizing (40): share of the agent's cost NOT spent on a tier above what each task's recorded
  complexity needs (low -> haiku, medium -> sonnet, high -> opus). Work without a task description
  counts as right-sized: there is no evidence against it.
- cache use (30): cache reads as a share of all input tokens; 50% or more earns the full 30.
- cost per operation (30): the median agent's average cost per operation over this agent's,
  capped at 1; an agent as cheap per operation as the median or cheaper earns the full 30.
"""

from __future__ import annotations

import statistics
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any

from pydantic import Field

from .config import Settings
from .errors import InvalidUsage
from .models import AgentEfficiency, ROIAnalysis, ROIAssumptions, Tier, _Frozen
from .money import Money, pico_to_usd
from .store import Totals
from .tracker import CostTracker, model_distribution, percentage
from .windows import from_us

_TIER_FOR_COMPLEXITY = {"low": Tier.HAIKU, "medium": Tier.SONNET, "high": Tier.OPUS}


class Summary(_Frozen):
    total_cost: Money
    total_operations: int
    total_tokens: int
    average_cost_per_operation: Money
    input_tokens: int
    output_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    unpriced_operations: int


class AgentCost(_Frozen):
    agent_type: str
    cost: Money
    percentage: float
    operations: int
    tokens: int


class ProjectCost(_Frozen):
    project_id: str
    cost: Money
    percentage: float
    operations: int
    tokens: int


class ModelStats(_Frozen):
    total_cost: Money
    percentage_cost: float
    operations: int
    percentage_operations: float
    total_tokens: int
    unpriced_operations: int = 0


class DailyPoint(_Frozen):
    date: str
    cost: Money
    operations: int
    tokens: int


class Dashboard(_Frozen):
    days: int
    start: datetime
    end: datetime
    timezone: str
    summary: Summary
    top_agents: list[AgentCost]
    model_distribution: dict[str, ModelStats]
    daily: list[DailyPoint]
    projects: list[ProjectCost]
    agents_total: int = Field(description="How many agents had usage (top_agents is bounded)")
    projects_total: int




def _avg(t: Totals) -> Decimal:
    return pico_to_usd(t.cost_pico // t.ops) if t.ops else Decimal(0)


class AnalyticsEngine:
    def __init__(self, cost_tracker: CostTracker | None = None, *, settings: Settings | None = None) -> None:
        self.tracker = cost_tracker or CostTracker(settings=settings)
        self.settings = settings or self.tracker.settings

    @property
    def ledger(self) -> Any:
        return self.tracker.ledger

    def generate_dashboard_data(self, days: int = 7, *, top: int = 10) -> Dashboard:
        start, end = self.tracker.window(days)
        total = self.ledger.totals("*", start, end)
        agents = self.ledger.totals_by("agent", start, end)
        projects = self.ledger.totals_by("project", start, end)
        models = self.ledger.totals_by("model", start, end)
        daily = self.tracker.daily_totals(start, end)
        by_cost = sorted(agents.items(), key=lambda kv: (-kv[1].cost_pico, -kv[1].ops, kv[0]))
        proj_by_cost = sorted(projects.items(), key=lambda kv: (-kv[1].cost_pico, -kv[1].ops, kv[0]))
        return Dashboard(
            days=days,
            start=from_us(start).astimezone(self.settings.zone),
            end=from_us(end).astimezone(self.settings.zone),
            timezone=self.settings.timezone_name,
            summary=Summary(
                total_cost=pico_to_usd(total.cost_pico),
                total_operations=total.ops,
                total_tokens=total.tokens,
                average_cost_per_operation=_avg(total),
                input_tokens=total.input_tokens,
                output_tokens=total.output_tokens,
                cache_creation_input_tokens=total.cache_write_tokens,
                cache_read_input_tokens=total.cache_read_tokens,
                unpriced_operations=total.unpriced_ops,
            ),
            top_agents=[
                AgentCost(
                    agent_type=a,
                    cost=pico_to_usd(t.cost_pico),
                    percentage=percentage(t.cost_pico, total.cost_pico),
                    operations=t.ops,
                    tokens=t.tokens,
                )
                for a, t in by_cost[:top]
            ],
            model_distribution={m: ModelStats(**stats) for m, stats in model_distribution(models).items()},
            daily=[
                DailyPoint(date=d, cost=pico_to_usd(t.cost_pico), operations=t.ops, tokens=t.tokens)
                for d, t in daily.items()
            ],
            projects=[
                ProjectCost(
                    project_id=p,
                    cost=pico_to_usd(t.cost_pico),
                    percentage=percentage(t.cost_pico, total.cost_pico),
                    operations=t.ops,
                    tokens=t.tokens,
                )
                for p, t in proj_by_cost[:top]
            ],
            agents_total=len(agents),
            projects_total=len(projects),
        )

    def analyze_agent_efficiency(self, agent_type: str, days: int = 30) -> AgentEfficiency:
        if not isinstance(agent_type, str) or not agent_type.strip():
            raise InvalidUsage("agent_type must be a non-empty string")
        agent_type = agent_type.strip()
        start, end = self.tracker.window(days)
        rows = self.ledger.grouped(
            "agent_type || '|' || COALESCE(priced_model, model) || '|' || COALESCE(complexity, '')",
            start,
            end,
            {"agent_type": agent_type},
        )
        total = Totals()
        per_model: dict[str, Totals] = {}
        oversized_pico = 0
        for key, t in rows:
            _, model, complexity = key.split("|", 2)
            total.merge(t)
            per_model.setdefault(model, Totals()).merge(t)
            tier = self.tracker.prices.tier_of(model)
            needed = _TIER_FOR_COMPLEXITY.get(complexity)
            if tier is not None and needed is not None and tier.rank > needed.rank:
                oversized_pico += t.cost_pico
        all_agents = self.ledger.totals_by("agent", start, end)
        peer_avgs = [t.cost_pico / t.ops for t in all_agents.values() if t.ops]
        median = statistics.median(peer_avgs) if peer_avgs else 0.0
        inputs = total.input_tokens + total.cache_read_tokens + total.cache_write_tokens
        cache_ratio = total.cache_read_tokens / inputs if inputs else 0.0
        own_avg = total.cost_pico / total.ops if total.ops else 0.0
        breakdown = {
            "right_sizing": round(40.0 * (1 - oversized_pico / total.cost_pico), 2) if total.cost_pico else 40.0,
            "cache_use": round(30.0 * min(1.0, cache_ratio / 0.5), 2),
            "cost_per_operation": round(30.0 * min(1.0, median / own_avg), 2) if own_avg else 30.0,
        }
        if not total.ops:
            breakdown = {"right_sizing": 0.0, "cache_use": 0.0, "cost_per_operation": 0.0}
        preferred = max(per_model.items(), key=lambda kv: (kv[1].ops, kv[1].cost_pico))[0] if per_model else None
        opportunities = self._opportunities(agent_type, total, per_model, oversized_pico, cache_ratio, own_avg, median)
        return AgentEfficiency(
            agent_type=agent_type,
            days=days,
            efficiency_score=round(sum(breakdown.values()), 1),
            score_breakdown=breakdown,
            total_operations=total.ops,
            total_cost=pico_to_usd(total.cost_pico),
            average_cost_per_operation=_avg(total),
            total_tokens=total.tokens,
            cache_hit_ratio=round(cache_ratio, 4),
            preferred_model=preferred,
            model_usage={m: t.ops for m, t in sorted(per_model.items(), key=lambda kv: -kv[1].ops)},
            optimization_opportunities=opportunities,
        )

    def _opportunities(
        self,
        agent_type: str,
        total: Totals,
        per_model: dict[str, Totals],
        oversized_pico: int,
        cache_ratio: float,
        own_avg: float,
        median: float,
    ) -> list[str]:
        out = []
        if not total.ops:
            return [f"No usage recorded for '{agent_type}' in this window"]
        if oversized_pico:
            share = oversized_pico / total.cost_pico if total.cost_pico else 0
            out.append(
                f"{share:.0%} of cost (${pico_to_usd(oversized_pico):.2f}) went to a tier above what the task's "
                "complexity needed; see get_optimization_recommendations for the saving"
            )
        inputs = total.input_tokens + total.cache_read_tokens + total.cache_write_tokens
        if inputs > 100_000 and cache_ratio < 0.2:
            out.append(f"Only {cache_ratio:.0%} of input tokens were cache reads; cache stable prompt prefixes")
        if median and own_avg > 2 * median:
            out.append(f"Average cost per operation is {own_avg / median:.1f}x the median agent's")
        if total.unpriced_ops:
            out.append(
                f"{total.unpriced_ops} operation(s) used models with no known price; add them under pricing.models"
            )
        return out

    def calculate_roi(
        self,
        total_cost: float | Decimal | None = None,
        time_period_days: int = 30,
        hourly_rate: float | None = None,
        *,
        operations: int | None = None,
    ) -> ROIAnalysis:
        """ROI of AI spend: labour time saved (configurable assumptions) against cost.

        `total_cost` and `operations` default to what the ledger holds for the window.
        """
        start, end = self.tracker.window(time_period_days)
        window = self.ledger.totals("*", start, end)
        cost = Decimal(str(total_cost)) if total_cost is not None else pico_to_usd(window.cost_pico)
        if not cost.is_finite() or cost < 0:
            raise InvalidUsage("total_cost must be a non-negative number of USD")
        ops = window.ops if operations is None else operations
        if isinstance(ops, bool) or not isinstance(ops, int) or ops < 0:
            raise InvalidUsage("operations must be a non-negative whole number")
        cfg = self.settings.cost.roi
        rate = cfg.hourly_rate if hourly_rate is None else float(hourly_rate)
        if not rate >= 0 or rate == float("inf"):
            raise InvalidUsage("hourly_rate must be a non-negative number")
        assumptions = ROIAssumptions(
            minutes_saved_per_operation=cfg.minutes_saved_per_operation,
            realization_rate=cfg.realization_rate,
            hourly_rate=rate,
        )
        hours = ops * cfg.minutes_saved_per_operation * cfg.realization_rate / 60.0
        saved = (Decimal(str(hours)) * Decimal(str(rate))).quantize(Decimal("0.01"))
        net = saved - cost
        roi = float((net / cost) * 100) if cost else None
        value_per_op = Decimal(str(cfg.minutes_saved_per_operation * cfg.realization_rate / 60.0 * rate))
        if value_per_op > 0:
            breakeven_ops = int((cost / value_per_op).to_integral_value(rounding=ROUND_CEILING))
            per_day = ops / time_period_days if time_period_days else 0
            when = f" (~{breakeven_ops / per_day:.1f} days at the current pace)" if per_day else ""
            breakeven = f"after {breakeven_ops:,} operations{when}"
            if ops and breakeven_ops <= ops:
                breakeven = f"reached: {breakeven_ops:,} of {ops:,} operations covered the cost"
        else:
            breakeven_ops, breakeven = None, "never: the assumptions value an operation at $0"
        return ROIAnalysis(
            time_period_days=time_period_days,
            total_cost=cost,
            total_operations=ops,
            estimated_time_saved_hours=round(hours, 2),
            estimated_labor_cost_saved=saved,
            net_benefit=net,
            roi_percentage=None if roi is None else round(roi, 1),
            breakeven_point=breakeven,
            breakeven_operations=breakeven_ops,
            recommendations=_roi_advice(roi, cost, ops, value_per_op),
            assumptions=assumptions,
        )


def _roi_advice(roi: float | None, cost: Decimal, ops: int, value_per_op: Decimal) -> list[str]:
    if not ops:
        return ["No operations recorded in this window: track usage (or import Claude Code transcripts) first"]
    out = []
    if roi is None:
        out.append("No cost recorded: ROI is unbounded; check that models are priced")
    elif roi < 0:
        out.append("Spend exceeds the value of time saved: move routine work to cheaper tiers")
    elif roi < 100:
        out.append("ROI is positive but thin: review the most expensive agents in the dashboard")
    else:
        out.append("ROI is strong: keep budgets in place so it stays that way")
    if ops and cost / ops > value_per_op:
        out.append(f"Average cost per operation (${cost / ops:.4f}) exceeds its assumed value (${value_per_op:.4f})")
    out.append("Assumptions are in cost-optimization.json under 'roi'; set them to your team's numbers")
    return out
