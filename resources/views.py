"""Read-only views over the core, as pydantic models: what resources serve and some tools return.

Free of MCP imports. Every list here is bounded by its caller (a page size) or by nature (the
price catalogue, the calendar).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from core import ModelConfigManager
from core.analytics import DailyPoint
from core.models import CostRecord, Tier
from core.money import Money, pico_to_usd
from core.pricing import DEFAULT_ALIASES, TieredPico, catalogue_models
from core.windows import utcnow

MAX_PAGE = 100


class RecordPage(BaseModel):
    """Usage records, newest first, one page at a time."""

    days: int | None = Field(description="Window: the last N local calendar days (today included); null = all time")
    filters: dict[str, str]
    total_records: int = Field(description="Records in the window that match the filters")
    offset: int
    records: list[CostRecord]
    next_offset: int | None = Field(description="Pass as offset to get the next page; null when this is the last")


class DailyCosts(BaseModel):
    days: int
    timezone: str
    total_cost: Money
    total_operations: int
    daily: list[DailyPoint] = Field(description="One entry per local calendar day, oldest first, empty days included")


class ModelPrice(BaseModel):
    """Standard prices of one model today, USD per million tokens (web search per 1,000 requests)."""

    id: str
    name: str | None = None
    tier: Tier | None = None
    context_window: int | None = None
    deprecated: bool = False
    source: str = Field(description="'catalogue' (genai-prices), 'configuration', or 'catalogue+configuration'")
    input_usd_per_mtok: Money | None = None
    output_usd_per_mtok: Money | None = None
    cache_write_5m_usd_per_mtok: Money | None = None
    cache_write_1h_usd_per_mtok: Money | None = None
    cache_read_usd_per_mtok: Money | None = None
    web_search_usd_per_1k: Money | None = None
    long_context_threshold_tokens: int | None = Field(
        None, description="Above this many input tokens in one request, every token is billed at the long-context rate"
    )
    long_context_input_usd_per_mtok: Money | None = None
    long_context_output_usd_per_mtok: Money | None = None


class TierModel(BaseModel):
    tier: Tier
    model: str = Field(description="The model id select_model returns for this tier")
    price: ModelPrice | None = None


class ModelCatalogue(BaseModel):
    as_of: date = Field(description="Prices are those in force on this UTC date")
    tiers: list[TierModel]
    aliases: dict[str, str] = Field(
        description="Claude Code aliases (opus, sonnet, haiku, ...) and the model each means"
    )
    agent_mapping: dict[str, str] = Field(description="Configured agent type -> tier or model id")
    default_tier: Tier
    total_models: int
    offset: int
    models: list[ModelPrice]
    next_offset: int | None


class EffectiveConfig(BaseModel):
    database: str
    export_dir: str
    timezone: str
    files: list[str] = Field(description="Configuration files read, lowest precedence first")
    cost: dict[str, Any]
    mapping: dict[str, Any]
    sources: dict[str, str] = Field(description="Dotted key -> the file it came from, or 'default'")


def next_offset(offset: int, returned: int, total: int) -> int | None:
    return offset + returned if offset + returned < total else None


def record_page(
    manager: ModelConfigManager,
    days: int | None,
    filters: dict[str, str] | None = None,
    *,
    limit: int = 20,
    offset: int = 0,
) -> RecordPage:
    filters = {k: v for k, v in (filters or {}).items() if v is not None}
    limit = max(1, min(limit, MAX_PAGE))
    tracker = manager.cost_tracker
    start, end = tracker.window(days)
    total = manager.ledger.count(start, end, filters or None)
    records = tracker.get_records(days, filters=filters or None, limit=limit, offset=offset)
    return RecordPage(
        days=days,
        filters=filters,
        total_records=total,
        offset=offset,
        records=records,
        next_offset=next_offset(offset, len(records), total),
    )


def daily_costs(manager: ModelConfigManager, days: int) -> DailyCosts:
    tracker = manager.cost_tracker
    start, end = tracker.window(days)
    daily = [
        DailyPoint(date=day, cost=pico_to_usd(t.cost_pico), operations=t.ops, tokens=t.tokens)
        for day, t in tracker.daily_totals(start, end).items()
    ]
    return DailyCosts(
        days=days,
        timezone=manager.settings.timezone_name,
        total_cost=sum((p.cost for p in daily), Decimal(0)),
        total_operations=sum(p.operations for p in daily),
        daily=daily,
    )


def _per_mtok(price: TieredPico | None) -> Decimal | None:
    return None if price is None else pico_to_usd(price.base * 10**6)


def model_price(manager: ModelConfigManager, model_id: str, when: datetime) -> ModelPrice | None:
    book = manager.price_book
    resolved = book.resolve(model_id, when)
    if resolved is None:
        return None
    info = book.catalogue_entry(book.canonical_id(model_id))
    configured = book.canonical_id(model_id) in book.overrides or (info is not None and info.id in book.overrides)
    source = "+".join(s for s, on in (("catalogue", info is not None), ("configuration", configured)) if on)
    long_in = resolved.input.tiers[-1] if resolved.input and resolved.input.tiers else None
    long_out = resolved.output.tiers[-1] if resolved.output and resolved.output.tiers else None
    return ModelPrice(
        id=info.id if info else model_id,
        name=info.name if info else None,
        tier=book.tier_of(model_id),
        context_window=info.context_window if info else None,
        deprecated=bool(info.deprecated) if info else False,
        source=source,
        input_usd_per_mtok=_per_mtok(resolved.input),
        output_usd_per_mtok=_per_mtok(resolved.output),
        cache_write_5m_usd_per_mtok=_per_mtok(resolved.cache_write_5m),
        cache_write_1h_usd_per_mtok=_per_mtok(resolved.cache_write_1h),
        cache_read_usd_per_mtok=_per_mtok(resolved.cache_read),
        web_search_usd_per_1k=pico_to_usd(resolved.web_search_pico * 1000) if resolved.web_search_pico else None,
        long_context_threshold_tokens=long_in[0] if long_in else None,
        long_context_input_usd_per_mtok=pico_to_usd(long_in[1] * 10**6) if long_in else None,
        long_context_output_usd_per_mtok=pico_to_usd(long_out[1] * 10**6) if long_out else None,
    )


def all_model_prices(manager: ModelConfigManager, when: datetime, tier: Tier | None = None) -> list[ModelPrice]:
    """Every Anthropic model in the catalogue plus configured models, cheapest tier first, then by id."""
    overrides = manager.settings.cost.pricing.models
    out: dict[str, ModelPrice] = {}
    for model_id in [info.id for info in catalogue_models()] + list(overrides):
        price = model_price(manager, model_id, when)
        if price is not None:
            out.setdefault(price.id, price)
    prices = [p for p in out.values() if tier is None or p.tier == tier]
    return sorted(prices, key=lambda p: (p.tier.rank if p.tier else 99, p.id))


def model_catalogue(
    manager: ModelConfigManager,
    *,
    tier: Tier | None = None,
    limit: int = MAX_PAGE,
    offset: int = 0,
) -> ModelCatalogue:
    now = utcnow()
    selector = manager.selector
    tiers = []
    for t in Tier:
        model = selector.model_for(t)
        tiers.append(TierModel(tier=t, model=model, price=model_price(manager, model, now)))
    prices = all_model_prices(manager, now, tier)
    page = prices[offset : offset + max(1, min(limit, MAX_PAGE))]
    mapping = manager.settings.mapping
    agents = dict(sorted(mapping.agents.items())[:MAX_PAGE])
    return ModelCatalogue(
        as_of=now.date(),
        tiers=tiers,
        aliases={alias: manager.price_book.canonical_id(alias) for alias in DEFAULT_ALIASES},
        agent_mapping=agents,
        default_tier=mapping.default_tier or Tier.SONNET,
        total_models=len(prices),
        offset=offset,
        models=page,
        next_offset=next_offset(offset, len(page), len(prices)),
    )


def effective_config(manager: ModelConfigManager, export_dir: str) -> EffectiveConfig:
    settings = manager.settings
    return EffectiveConfig(
        database=manager.db_path,
        export_dir=export_dir,
        timezone=settings.timezone_name,
        files=settings.files,
        cost=settings.cost.model_dump(mode="json"),
        mapping=settings.mapping.model_dump(mode="json"),
        sources=settings.sources,
    )
