"""Prices: genai-prices' catalogue, plus what it lacks, computed exactly in pico-dollars.

`genai_prices.calc_price` is the reference (see tests/test_pricing.py, which checks this module
against it on a table of real model ids). It costs ~0.2 ms a call, so a `PriceBook` resolves a
model's price once per (model, UTC date, batch, fast) and then prices each record with integer
arithmetic. The package's data is loaded lazily, on the first price actually needed.

Conventions: token counts use Anthropic's convention (`input_tokens` excludes cache reads and
writes). The long-context tier is a cliff: when a request's whole input (uncached + cache reads +
cache writes) passes the tier start, every token of that request is charged at the tier's rate.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from .errors import UnknownModel
from .models import Tier
from .money import PICO_PER_USD, usd_per_mtok_to_pico_per_token
from .price_types import CostParts, PriceOverride, ResolvedPrice, TieredPico
from .windows import DAY_US, from_us, to_us

if TYPE_CHECKING:
    from genai_prices.types import ModelInfo

# Fast mode multipliers for models whose fast price genai-prices does not carry (Claude Code docs,
# LiteLLM data). Models that have a `speed: fast` price variant in the catalogue use that instead.
FAST_MODE_MULTIPLIERS: dict[str, Fraction] = {
    "claude-opus-4-6": Fraction(6),
    "claude-opus-4-7": Fraction(6),
    "claude-opus-4-8": Fraction(2),
    "claude-opus-5": Fraction(2),
}
BATCH_MULTIPLIER = Fraction(1, 2)
WEB_SEARCH_USD_PER_1K_DEFAULT = Decimal(10)

# Claude Code's built-in aliases (Anthropic API, 2026); env overrides follow Claude Code's names.
DEFAULT_ALIASES: dict[str, str] = {
    "opus": "claude-opus-5",
    "sonnet": "claude-sonnet-5",
    "haiku": "claude-haiku-4-5",
    "fable": "claude-fable-5",
}
_ALIAS_ENV = {alias: f"ANTHROPIC_DEFAULT_{alias.upper()}_MODEL" for alias in DEFAULT_ALIASES}

# Provider wrappers around Anthropic model ids: Bedrock (`us.anthropic.claude-...-v1:0`),
# Vertex (`claude-...@20250929`), OpenRouter / LiteLLM (`anthropic/claude-...`), Claude Code's
# long-context marker (`claude-sonnet-4-5[1m]`).
_PREFIX = re.compile(r"^(?:[a-z]{2,4}\.)?(?:anthropic[./])")
_SUFFIX = re.compile(r"(?:-v\d+(?::\d+)?|\[1m\])$")

__all__ = [
    "CostParts",
    "PriceBook",
    "PriceOverride",
    "ResolvedPrice",
    "TieredPico",
    "catalogue_models",
    "pico_parts",
    "price_with",
    "unpriced_note",
]

_EPOCH_DATE = date(1970, 1, 1)
_TOKEN_KEYS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")


@dataclass
class PriceBook:
    """Resolves model ids and prices usage. Thread-safe; caches resolutions."""

    overrides: dict[str, PriceOverride] = field(default_factory=dict)
    tier_models: dict[Tier, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _info_cache: dict[str, ModelInfo | None] = field(default_factory=dict, repr=False)
    _price_cache: dict[tuple[str, str, bool, bool], ResolvedPrice] = field(default_factory=dict, repr=False)
    # (model id as given, UTC day number, batch, fast) -> prices: one dict lookup on the hot path.
    _quick_cache: dict[tuple[str, int, bool, bool], ResolvedPrice | None] = field(default_factory=dict, repr=False)

    # -- model ids -------------------------------------------------------------------------

    def alias_target(self, alias: str) -> str | None:
        alias = alias.strip().lower()
        if alias not in DEFAULT_ALIASES:
            return None
        env = os.environ.get(_ALIAS_ENV[alias])
        if env:
            return env
        try:
            return self.tier_models[Tier(alias)]
        except (KeyError, ValueError):
            return DEFAULT_ALIASES[alias]

    def canonical_id(self, model_id: str) -> str:
        """The id to record: aliases resolved, provider wrappers kept out of the catalogue lookup only."""
        target = self.alias_target(model_id)
        return target if target else model_id.strip()

    def catalogue_entry(self, model_id: str) -> ModelInfo | None:
        key = model_id.strip().lower()
        with self._lock:
            if key in self._info_cache:
                return self._info_cache[key]
        info = _find_anthropic_model(key)
        with self._lock:
            self._info_cache[key] = info
        return info

    def catalogue_id(self, model_id: str) -> str | None:
        """The price-catalogue id a model id resolves to, or None when it is unknown."""
        model_id = self.canonical_id(model_id)
        if model_id in self.overrides and self.catalogue_entry(model_id) is None:
            return model_id
        info = self.catalogue_entry(model_id)
        return info.id if info else None

    def is_known(self, model_id: str) -> bool:
        return self.catalogue_id(model_id) is not None

    def tier_of(self, model_id: str) -> Tier | None:
        model_id = self.canonical_id(model_id)
        override = self.overrides.get(model_id)
        if override and override.tier:
            return override.tier
        for tier, tier_model in self.tier_models.items():
            if tier_model == model_id:
                return tier
        ref = (self.catalogue_id(model_id) or model_id).lower()
        for tier in (Tier.OPUS, Tier.SONNET, Tier.HAIKU):
            if tier.value in ref:
                return tier
        if "fable" in ref or "mythos" in ref:
            return Tier.OPUS
        return None

    def require_known(self, model_id: str) -> str:
        catalogue_id = self.catalogue_id(model_id)
        if catalogue_id is None:
            raise UnknownModel(
                f"model {model_id!r} is not in the price catalogue; use a Claude model id such as "
                "'claude-sonnet-4-5' or an alias ('opus', 'sonnet', 'haiku'), or add it under "
                "pricing.models in cost-optimization.json"
            )
        return catalogue_id

    # -- prices ----------------------------------------------------------------------------

    def resolve(
        self, model_id: str, when: datetime, *, batch: bool = False, fast: bool = False
    ) -> ResolvedPrice | None:
        """Per-token prices for a model at a time, or None when the model is unknown."""
        if when.tzinfo is None:
            when = when.astimezone(UTC)  # a naive time is local time
        return self.resolve_us(model_id, to_us(when), batch=batch, fast=fast)

    @property
    def resolved_by_day(self) -> dict[tuple[str, int, bool, bool], ResolvedPrice | None]:
        """What `resolve_us` resolved for a whole UTC day, by (model id as given, ts_us // DAY_US, batch, fast):
        read-only, for the bulk paths' loop, which looks here before calling `resolve_us`."""
        return self._quick_cache

    def resolve_us(self, model_id: str, ts_us: int, *, batch: bool = False, fast: bool = False) -> ResolvedPrice | None:
        """`resolve` for a time in UTC microseconds (what the ledger stores): the bulk paths' form."""
        quick = (model_id, ts_us // DAY_US, batch, fast)
        if quick in self._quick_cache:
            return self._quick_cache[quick]
        when = from_us(ts_us)
        canonical = self.canonical_id(model_id)
        info = self.catalogue_entry(canonical)
        override = self.overrides.get(canonical) or (self.overrides.get(info.id) if info else None)
        if info is None and override is None:
            self._quick_cache[quick] = None
            return None
        time_of_day = _time_of_day_priced(info)
        key = (info.id if info else canonical, when.isoformat() if time_of_day else str(quick[1]), batch, fast)
        with self._lock:
            resolved = self._price_cache.get(key)
        if resolved is None:
            resolved = _resolve(info, override, canonical, when, batch=batch, fast=fast)
            with self._lock:
                self._price_cache[key] = resolved
        if not time_of_day:
            self._quick_cache[quick] = resolved
        return resolved

    def day_resolutions(self) -> list[tuple[str, date, bool, bool, ResolvedPrice | None]]:
        """The resolutions that hold for a whole UTC day, as (model id, date, batch, fast, prices or None
        for an unknown model): what `preload` takes back (core.claude_code.price_cache saves them)."""
        return [(m, _EPOCH_DATE + timedelta(days=d), b, f, p) for (m, d, b, f), p in list(self._quick_cache.items())]

    def preload(self, resolutions: Iterable[tuple[str, date, bool, bool, ResolvedPrice | None]]) -> None:
        """Take resolutions saved from another PriceBook with the same catalogue version, overrides and tier
        models (the caller checks that); what this book resolved itself is kept."""
        for model_id, day, batch, fast, prices in resolutions:
            self._quick_cache.setdefault((model_id, (day - _EPOCH_DATE).days, batch, fast), prices)

    def price(
        self,
        model_id: str,
        when: datetime,
        *,
        input_tokens: int,
        output_tokens: int,
        cache_creation_input_tokens: int = 0,
        cache_creation_1h_input_tokens: int = 0,
        cache_read_input_tokens: int = 0,
        web_search_requests: int = 0,
        batch: bool = False,
        fast: bool = False,
    ) -> CostParts:
        resolved = self.resolve(model_id, when, batch=batch, fast=fast)
        if resolved is None:
            return CostParts(priced=False, note=unpriced_note(model_id))
        return price_with(
            resolved,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_creation_input_tokens=cache_creation_input_tokens,
            cache_creation_1h_input_tokens=cache_creation_1h_input_tokens,
            cache_read_input_tokens=cache_read_input_tokens,
            web_search_requests=web_search_requests,
        )


def unpriced_note(model_id: str) -> str:
    return f"no price known for model {model_id!r}; tokens kept, cost not counted"


def price_with(
    p: ResolvedPrice,
    *,
    input_tokens: int,
    output_tokens: int,
    cache_creation_input_tokens: int = 0,
    cache_creation_1h_input_tokens: int = 0,
    cache_read_input_tokens: int = 0,
    web_search_requests: int = 0,
) -> CostParts:
    """Price one request with resolved prices (the hot path: integers only)."""
    input_pico, output_pico, cache_write_pico, cache_read_pico, web_search_pico = pico_parts(
        p,
        input_tokens,
        output_tokens,
        cache_creation_input_tokens,
        cache_creation_1h_input_tokens,
        cache_read_input_tokens,
        web_search_requests,
    )
    return CostParts(
        input_pico=input_pico,
        output_pico=output_pico,
        cache_write_pico=cache_write_pico,
        cache_read_pico=cache_read_pico,
        web_search_pico=web_search_pico,
        priced_model=p.model_id,
        note=p.note,
    )


def pico_parts(
    p: ResolvedPrice,
    input_tokens: int,
    output_tokens: int,
    cache_creation_input_tokens: int,
    cache_creation_1h_input_tokens: int,
    cache_read_input_tokens: int,
    web_search_requests: int,
) -> tuple[int, int, int, int, int]:
    """(input, output, cache write, cache read, web search) pico-dollars: `price_with` without the
    CostParts object, whose construction cost more than the arithmetic (the bulk path calls this)."""
    cw_total = cache_creation_input_tokens
    cw_1h = cache_creation_1h_input_tokens
    cw_5m = cw_total - cw_1h
    uncached = input_tokens
    prices = p.untiered
    if prices is None:
        prices = p.unit_prices(input_tokens + cw_total + cache_read_input_tokens)
    input_price, output_price, cw_5m_price, cw_1h_price, read_price = prices
    # Units without a price of their own are charged as their parent unit, as genai-prices does.
    if read_price is None:
        uncached += cache_read_input_tokens
    if cw_5m_price is None:
        uncached += cw_total
        cw_5m = cw_1h = 0
    elif cw_1h_price is None:
        cw_5m, cw_1h = cw_total, 0
    input_pico = uncached * input_price if input_price is not None else 0
    output_pico = output_tokens * output_price if output_price is not None else 0
    cache_write_pico = 0
    if cw_5m_price is not None:
        cache_write_pico += cw_5m * cw_5m_price
    if cw_1h_price is not None:
        cache_write_pico += cw_1h * cw_1h_price
    cache_read_pico = cache_read_input_tokens * read_price if read_price is not None else 0
    return input_pico, output_pico, cache_write_pico, cache_read_pico, web_search_requests * p.web_search_pico


# -- catalogue access ------------------------------------------------------------------------

_provider_cache: list[Any] = []


def _anthropic_provider() -> Any:
    if not _provider_cache:
        from genai_prices import data_snapshot

        snapshot = data_snapshot.get_snapshot()
        _provider_cache.append(next(p for p in snapshot.providers if p.id == "anthropic"))
    return _provider_cache[0]


def _find_anthropic_model(model_ref: str) -> ModelInfo | None:
    ref = _SUFFIX.sub("", _PREFIX.sub("", model_ref.strip().lower()))
    if "@" in ref:  # Vertex: claude-sonnet-4-5@20250929
        ref = ref.replace("@", "-")
    if not ref or ref == "<synthetic>":
        return None
    model: ModelInfo | None = _anthropic_provider().find_model(ref)
    return model


def catalogue_models() -> list[ModelInfo]:
    """Every Anthropic model in the price catalogue."""
    return list(_anthropic_provider().models)


def _time_of_day_priced(info: ModelInfo | None) -> bool:
    """True when a model's price depends on the time of day (so prices cannot be cached per date)."""
    from genai_prices.types import TimeOfDateConstraint

    if info is None or not isinstance(info.prices, list):
        return False
    return any(isinstance(c.constraint, TimeOfDateConstraint) for c in info.prices)


def _to_pico(value: Any) -> TieredPico | None:
    from genai_prices.types import TieredPrices

    if value is None:
        return None
    if isinstance(value, TieredPrices):
        return TieredPico(
            usd_per_mtok_to_pico_per_token(value.base),
            tuple((t.start, usd_per_mtok_to_pico_per_token(t.price)) for t in value.tiers),
        )
    return TieredPico(usd_per_mtok_to_pico_per_token(Decimal(value)))


def _resolve(
    info: ModelInfo | None,
    override: PriceOverride | None,
    model_id: str,
    when: datetime,
    *,
    batch: bool,
    fast: bool,
) -> ResolvedPrice:
    notes: list[str] = []
    parts: dict[str, TieredPico | None] = dict.fromkeys(_TOKEN_KEYS)
    web_search_pico = 0
    batch_done = fast_done = False
    catalogue_id = info.id if info else model_id
    if info is not None:
        context: dict[str, str] = {}
        if batch:
            context["processing"] = "batch"
        if fast:
            context["speed"] = "fast"
        if override is not None:
            # Negotiated prices replace the standard ones; batch and fast then apply as multipliers.
            context = {}
        mp = info.get_prices(when, context) if context else info.get_prices(when)
        batch_done = "processing" in context and _variant_applies(info, when, "processing", "batch")
        fast_done = "speed" in context and _variant_applies(info, when, "speed", "fast")
        parts["input"] = _to_pico(mp.input_mtok)
        parts["output"] = _to_pico(mp.output_mtok)
        parts["cache_write_5m"] = _to_pico(mp.cache_write_mtok)
        parts["cache_write_1h"] = _to_pico(mp.cache_write_1h_mtok)
        parts["cache_read"] = _to_pico(mp.cache_read_mtok)
        searches = mp.web_searches_kcount
        if isinstance(searches, Decimal):
            web_search_pico = int(searches * PICO_PER_USD / 1000)
    if override is not None:
        parts = _apply_override(parts, override, model_id, known=info is not None)
        if override.web_search_per_1k is not None:
            web_search_pico = int(override.web_search_per_1k * PICO_PER_USD / 1000)
        elif info is None:
            web_search_pico = int(WEB_SEARCH_USD_PER_1K_DEFAULT * PICO_PER_USD / 1000)
        notes.append("price from configuration")
    factor = Fraction(1)
    if batch and not batch_done:
        factor *= BATCH_MULTIPLIER
        notes.append("batch: 50% of standard price")
    if fast and not fast_done:
        multiplier = FAST_MODE_MULTIPLIERS.get(catalogue_id)
        if multiplier is None:
            notes.append(f"fast mode price unknown for {catalogue_id}; charged at the standard rate")
        else:
            factor *= multiplier
            notes.append(f"fast mode: {multiplier}x standard price")
    if factor != 1:
        parts = {k: (v.scaled(factor) if v else None) for k, v in parts.items()}
    return ResolvedPrice(
        model_id=catalogue_id,
        web_search_pico=web_search_pico,
        note="; ".join(notes) or None,
        **parts,
    )


def _apply_override(
    parts: dict[str, TieredPico | None], override: PriceOverride, model_id: str, *, known: bool
) -> dict[str, TieredPico | None]:
    merged = dict(parts)
    for key in _TOKEN_KEYS:
        value = getattr(override, key)
        if value is not None:
            merged[key] = TieredPico(usd_per_mtok_to_pico_per_token(value))
    if not known:
        if merged["input"] is None or merged["output"] is None:
            raise UnknownModel(f"configured model {model_id!r} needs at least 'input' and 'output' prices")
        base = merged["input"].base
        merged["cache_write_5m"] = merged["cache_write_5m"] or TieredPico(base * 5 // 4)
        merged["cache_write_1h"] = merged["cache_write_1h"] or TieredPico(base * 2)
        merged["cache_read"] = merged["cache_read"] or TieredPico(base // 10)
    return merged


def _variant_applies(info: ModelInfo, when: datetime, key: str, value: str) -> bool:
    for variant in info.price_variants or ():
        if variant.when.get(key) != value:
            continue
        if variant.constraint is None or variant.constraint.active(when):
            return True
    return False
