"""Optimization recommendations: structured items, each with its evidence and a monthly saving in USD.

Savings are computed from the ledger, not asserted: the same tokens are repriced on the cheaper
model at its standard (below long-context) rates, and the window's difference is scaled to 30
days. Kinds:
- `right_size`: an agent's work whose recorded complexity needed a lower tier (e.g. low-complexity
  work on Opus, repriced on Sonnet; low-complexity work on Sonnet, repriced on Haiku).
- `prompt_caching`: agents sending a lot of uncached input; the saving assumes half of it could be
  read from cache.
- `budget_forecast`: a budget whose forecast ends above its limit (no saving: a warning).
- `unpriced_model`: usage of models with no known price (cost is missing from every total).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from .analytics import AnalyticsEngine
from .budgets import BudgetManager
from .models import Recommendation, Tier
from .money import pico_to_usd
from .pricing import ResolvedPrice, TieredPico, price_with
from .selector import IntelligentModelSelector
from .store import Totals
from .windows import utcnow

_NEEDED = {"low": Tier.HAIKU, "medium": Tier.SONNET, "high": Tier.OPUS}
CACHEABLE_SHARE = 0.5
MIN_UNCACHED_FOR_CACHING = 1_000_000


def _base_rates(p: ResolvedPrice) -> ResolvedPrice:
    """The same prices without long-context tiers (totals of many requests cannot know each request's size)."""

    def flat(t: TieredPico | None) -> TieredPico | None:
        return TieredPico(t.base) if t else None

    return ResolvedPrice(
        p.model_id,
        flat(p.input),
        flat(p.output),
        flat(p.cache_write_5m),
        flat(p.cache_write_1h),
        flat(p.cache_read),
        p.web_search_pico,
        p.note,
    )


def _reprice(resolved: ResolvedPrice | None, t: Totals) -> int | None:
    if resolved is None:
        return None
    return price_with(
        _base_rates(resolved),
        input_tokens=t.input_tokens,
        output_tokens=t.output_tokens,
        cache_creation_input_tokens=t.cache_write_tokens,
        cache_read_input_tokens=t.cache_read_tokens,
    ).total_pico


def _monthly(pico: int, days: int) -> Decimal:
    """A window's saving scaled to 30 days, to the cent (an estimate, not a ledger amount)."""
    return (pico_to_usd(pico) * 30 / days).quantize(Decimal("0.01")) if pico > 0 else Decimal(0)


def optimization_recommendations(
    analytics: AnalyticsEngine,
    budgets: BudgetManager,
    selector: IntelligentModelSelector,
    days: int = 7,
    *,
    now: datetime | None = None,
) -> list[Recommendation]:
    tracker = analytics.tracker
    prices = tracker.prices
    now = now or utcnow()
    start, end = tracker.window(days, now)
    groups = tracker.ledger.grouped(
        "agent_type || '|' || COALESCE(priced_model, model) || '|' || COALESCE(complexity, '')", start, end
    )
    out: list[Recommendation] = []
    right_size: dict[tuple[str, str, str], tuple[Totals, int]] = {}
    per_agent_model: dict[tuple[str, str], Totals] = {}
    unpriced: dict[str, int] = {}
    for key, t in groups:
        agent, model, complexity = key.split("|", 2)
        per_agent_model.setdefault((agent, model), Totals()).merge(t)
        if t.unpriced_ops:
            unpriced[model] = unpriced.get(model, 0) + t.unpriced_ops
        tier = prices.tier_of(model)
        needed = _NEEDED.get(complexity)
        if tier is None or needed is None or tier.rank <= needed.rank or not t.cost_pico:
            continue
        cheaper = selector.model_for(tier.step(-1))
        alt = _reprice(prices.resolve(cheaper, now), t)
        if alt is None or alt >= t.cost_pico:
            continue
        right_size[(agent, model, complexity)] = (t, alt)

    for (agent, model, complexity), (t, alt) in right_size.items():
        cheaper = selector.model_for((prices.tier_of(model) or Tier.SONNET).step(-1))
        saving = t.cost_pico - alt
        out.append(
            Recommendation(
                kind="right_size",
                title=f"Move {agent}'s {complexity}-complexity work from {model} to {cheaper}",
                detail=(
                    f"{t.ops} {complexity}-complexity operation(s) by {agent} ran on {model} and cost "
                    f"${pico_to_usd(t.cost_pico):.4f} in the last {days} day(s); on {cheaper} the same tokens "
                    f"would have cost ${pico_to_usd(alt):.4f}. Map {agent} to a cheaper tier for such tasks, or "
                    "call select_model with the task description."
                ),
                agent_type=agent,
                model=model,
                estimated_monthly_saving_usd=_monthly(saving, days),
                evidence={
                    "window_days": days,
                    "operations": t.ops,
                    "complexity": complexity,
                    "input_tokens": t.input_tokens,
                    "output_tokens": t.output_tokens,
                    "cache_creation_input_tokens": t.cache_write_tokens,
                    "cache_read_input_tokens": t.cache_read_tokens,
                    "actual_cost_usd": str(pico_to_usd(t.cost_pico)),
                    "alternative_model": cheaper,
                    "alternative_cost_usd": str(pico_to_usd(alt)),
                    "window_saving_usd": str(pico_to_usd(saving)),
                },
            )
        )

    for (agent, model), t in per_agent_model.items():
        inputs = t.input_tokens + t.cache_read_tokens + t.cache_write_tokens
        if t.input_tokens < MIN_UNCACHED_FOR_CACHING or not inputs or t.cache_read_tokens / inputs >= 0.2:
            continue
        resolved = prices.resolve(model, now)
        if resolved is None or resolved.input is None or resolved.cache_read is None:
            continue
        movable = int(t.input_tokens * CACHEABLE_SHARE)
        saving = movable * (resolved.input.base - resolved.cache_read.base)
        if saving <= 0:
            continue
        out.append(
            Recommendation(
                kind="prompt_caching",
                title=f"Cache {agent}'s prompts on {model}",
                detail=(
                    f"{agent} sent {t.input_tokens:,} uncached input tokens to {model} in {days} day(s) and read only "
                    f"{t.cache_read_tokens / inputs:.0%} of its input from cache. If half of that input were a cached "
                    "prefix it would be billed at the cache-read rate."
                ),
                agent_type=agent,
                model=model,
                estimated_monthly_saving_usd=_monthly(saving, days),
                evidence={
                    "window_days": days,
                    "uncached_input_tokens": t.input_tokens,
                    "cache_read_input_tokens": t.cache_read_tokens,
                    "assumed_cacheable_share": CACHEABLE_SHARE,
                    "input_price_per_mtok": str(pico_to_usd(resolved.input.base * 10**6)),
                    "cache_read_price_per_mtok": str(pico_to_usd(resolved.cache_read.base * 10**6)),
                    "window_saving_usd": str(pico_to_usd(saving)),
                },
            )
        )

    for status in budgets.check_all(now=now):
        if status.forecasted_spending is not None and status.forecasted_spending > status.budget_limit:
            out.append(
                Recommendation(
                    kind="budget_forecast",
                    title=f"{status.period.value.capitalize()} budget ({status.scope}) is on course to be exceeded",
                    detail=(
                        f"Forecast ${status.forecasted_spending:.2f} against a ${status.budget_limit:.2f} limit "
                        f"({status.forecast_method}). Act on the right-sizing items above or raise the limit."
                    ),
                    estimated_monthly_saving_usd=Decimal(0),
                    evidence={
                        "period": status.period.value,
                        "scope": status.scope,
                        "current_spending_usd": str(status.current_spending),
                        "forecasted_spending_usd": str(status.forecasted_spending),
                        "budget_limit_usd": str(status.budget_limit),
                        "forecast_method": status.forecast_method,
                    },
                )
            )

    for model, ops in sorted(unpriced.items()):
        out.append(
            Recommendation(
                kind="unpriced_model",
                title=f"Add a price for {model}",
                detail=(
                    f"{ops} operation(s) used {model}, which is not in the price catalogue: their tokens are kept but "
                    "their cost is missing from every total. Add it under pricing.models in cost-optimization.json."
                ),
                model=model,
                estimated_monthly_saving_usd=Decimal(0),
                evidence={"window_days": days, "operations": ops},
            )
        )
    out.sort(key=lambda r: (-r.estimated_monthly_saving_usd, r.kind, r.title))
    return out
