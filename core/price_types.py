"""Price value objects: per-token prices in pico-dollars, resolved prices, priced parts, overrides."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from .errors import InvalidUsage
from .models import Tier


@dataclass(frozen=True)
class TieredPico:
    """A per-token price in pico-dollars, with optional long-context tiers (start, price)."""

    base: int
    tiers: tuple[tuple[int, int], ...] = ()

    def at(self, total_input_tokens: int) -> int:
        if not self.tiers:
            return self.base
        for start, price in reversed(self.tiers):
            if total_input_tokens > start:
                return price
        return self.base

    def scaled(self, factor: Fraction) -> TieredPico:
        return TieredPico(_scale(self.base, factor), tuple((s, _scale(p, factor)) for s, p in self.tiers))


def _scale(pico: int, factor: Fraction) -> int:
    value = pico * factor
    if value.denominator != 1:
        raise InvalidUsage(f"price {pico} pico-dollars/token times {factor} is not exact")
    return int(value)


@dataclass(frozen=True)
class ResolvedPrice:
    """Per-unit prices of one model on one day, for one processing mode."""

    model_id: str
    input: TieredPico | None
    output: TieredPico | None
    cache_write_5m: TieredPico | None
    cache_write_1h: TieredPico | None
    cache_read: TieredPico | None
    web_search_pico: int = 0
    note: str | None = None
    # The five unit prices, computed once: pricing a record is in the bulk paths' inner loop. `untiered`
    # when no unit has long-context tiers (most models; this halved a record's pricing), else one tuple
    # per band of request sizes between the tiers' starts (`_starts`).
    untiered: tuple[int | None, ...] | None = field(default=None, init=False, repr=False, compare=False)
    _starts: tuple[int, ...] = field(default=(), init=False, repr=False, compare=False)
    _bands: tuple[tuple[int | None, ...], ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        units = (self.input, self.output, self.cache_write_5m, self.cache_write_1h, self.cache_read)
        starts = tuple(sorted({start for u in units if u is not None for start, _ in u.tiers}))
        if not starts:
            object.__setattr__(self, "untiered", tuple(None if u is None else u.base for u in units))
            return
        # A unit's price depends only on which starts a request's size is above: band k is above the first k.
        sizes = (0, *(start + 1 for start in starts))
        bands = tuple(tuple(None if u is None else u.at(size) for u in units) for size in sizes)
        object.__setattr__(self, "_starts", starts)
        object.__setattr__(self, "_bands", bands)

    def unit_prices(self, total_input_tokens: int) -> tuple[int | None, ...]:
        """(input, output, 5m cache write, 1h cache write, cache read) pico-dollars a token for a request
        of `total_input_tokens`; None for a unit without a price of its own."""
        if self.untiered is not None:
            return self.untiered
        band = 0
        for start in self._starts:
            if total_input_tokens <= start:
                break
            band += 1
        return self._bands[band]


@dataclass(frozen=True)
class CostParts:
    """A priced request, in pico-dollars."""

    input_pico: int = 0
    output_pico: int = 0
    cache_write_pico: int = 0
    cache_read_pico: int = 0
    web_search_pico: int = 0
    priced_model: str | None = None
    priced: bool = True
    note: str | None = None

    @property
    def total_pico(self) -> int:
        return self.input_pico + self.output_pico + self.cache_write_pico + self.cache_read_pico + self.web_search_pico


@dataclass(frozen=True)
class PriceOverride:
    """Prices from configuration, $/MTok (web search $/1K). Unset keys fall back to the catalogue."""

    input: Decimal | None = None
    output: Decimal | None = None
    cache_write_5m: Decimal | None = None
    cache_write_1h: Decimal | None = None
    cache_read: Decimal | None = None
    web_search_per_1k: Decimal | None = None
    tier: Tier | None = None
