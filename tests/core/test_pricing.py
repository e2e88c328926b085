"""Costs equal genai_prices.calc_price on real model ids; the extras it lacks are applied exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from genai_prices import Usage, calc_price

from core.errors import UnknownModel
from core.money import pico_to_usd
from core.pricing import PriceBook, PriceOverride

REAL_IDS = [
    "claude-opus-5",
    "claude-opus-4-8",
    "claude-opus-4-7",
    "claude-opus-4-6",
    "claude-opus-4-5-20251101",
    "claude-opus-4-1-20250805",
    "claude-opus-4-20250514",
    "claude-sonnet-5",
    "claude-sonnet-4-6",
    "claude-sonnet-4-5-20250929",
    "claude-sonnet-4-20250514",
    "claude-3-7-sonnet-20250219",
    "claude-haiku-4-5-20251001",
    "claude-3-5-haiku-20241022",
    "claude-3-haiku-20240307",
    "claude-fable-5",
]
TOKENS = [
    (0, 0, 0, 0, 0),
    (3, 1, 0, 0, 0),
    (1_000, 500, 0, 0, 0),
    (3, 212, 3_117, 0, 14_723),
    (10, 2_000, 266, 266, 15_213),
    (150_000, 4_000, 20_000, 5_000, 40_000),  # 210k total input: past the 200k cliff
    (199_990, 10, 0, 0, 10),  # exactly 200k: not past it
    (1_000_000, 1_000_000, 0, 0, 0),
]
DATES = [datetime(2025, 11, 1, tzinfo=UTC), datetime(2026, 3, 20, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)]


def _reference(model: str, when: datetime, tokens: tuple[int, ...], *, ctx: dict[str, str] | None = None) -> Decimal:
    inp, out, cw, cw1h, cr = tokens
    usage = Usage(
        input_tokens=inp + cw + cr,  # genai-prices counts cache tokens inside input_tokens
        output_tokens=out,
        cache_write_tokens=cw,
        cache_write_1h_tokens=cw1h,
        cache_write_5m_tokens=cw - cw1h,
        cache_read_tokens=cr,
    )
    return calc_price(
        usage, model_ref=model, provider_id="anthropic", genai_request_timestamp=when, price_context=ctx
    ).total_price


@pytest.mark.parametrize("model", REAL_IDS)
@pytest.mark.parametrize("when", DATES, ids=lambda d: d.date().isoformat())
def test_cost_equals_calc_price(model: str, when: datetime) -> None:
    book = PriceBook()
    for tokens in TOKENS:
        inp, out, cw, cw1h, cr = tokens
        parts = book.price(
            model,
            when,
            input_tokens=inp,
            output_tokens=out,
            cache_creation_input_tokens=cw,
            cache_creation_1h_input_tokens=cw1h,
            cache_read_input_tokens=cr,
        )
        assert parts.priced
        assert pico_to_usd(parts.total_pico) == _reference(model, when, tokens), (model, tokens)


def test_long_context_cliff_charges_every_token_at_the_higher_rate() -> None:
    book = PriceBook()
    when = datetime(2026, 1, 10, tzinfo=UTC)
    below = book.price("claude-sonnet-4-5", when, input_tokens=200_000, output_tokens=1_000)
    above = book.price("claude-sonnet-4-5", when, input_tokens=200_001, output_tokens=1_000)
    assert pico_to_usd(below.total_pico) == Decimal("0.615")  # 200k x $3 + 1k x $15
    assert pico_to_usd(above.total_pico) == Decimal("1.222506")  # 200,001 x $6 + 1k x $22.50


def test_dated_prices_follow_the_request_date() -> None:
    book = PriceBook()
    tokens = dict(input_tokens=300_000, output_tokens=0)
    before = book.price("claude-opus-4-6", datetime(2026, 1, 1, tzinfo=UTC), **tokens)
    after = book.price("claude-opus-4-6", datetime(2026, 6, 1, tzinfo=UTC), **tokens)
    assert pico_to_usd(before.total_pico) == Decimal(3)  # long-context tier before 2026-03-13
    assert pico_to_usd(after.total_pico) == Decimal("1.5")


def test_one_hour_cache_writes_cost_double_base_input() -> None:
    book = PriceBook()
    when = datetime(2026, 6, 1, tzinfo=UTC)
    five = book.price("claude-haiku-4-5", when, input_tokens=0, output_tokens=0, cache_creation_input_tokens=1_000_000)
    hour = book.price(
        "claude-haiku-4-5",
        when,
        input_tokens=0,
        output_tokens=0,
        cache_creation_input_tokens=1_000_000,
        cache_creation_1h_input_tokens=1_000_000,
    )
    assert pico_to_usd(five.cache_write_pico) == Decimal("1.25")
    assert pico_to_usd(hour.cache_write_pico) == Decimal(2)


def test_web_searches_cost_ten_dollars_per_thousand() -> None:
    parts = PriceBook().price(
        "claude-opus-5", datetime(2026, 6, 1, tzinfo=UTC), input_tokens=0, output_tokens=0, web_search_requests=3
    )
    assert pico_to_usd(parts.total_pico) == Decimal("0.03")


def test_batch_uses_catalogue_variant_or_half_price() -> None:
    book = PriceBook()
    late = datetime(2026, 11, 1, tzinfo=UTC)  # the catalogue has a batch price from 2026-10-14
    early = datetime(2026, 6, 1, tzinfo=UTC)  # no batch price in the catalogue yet: 50% multiplier
    for when in (late, early):
        std = book.price("claude-sonnet-5", when, input_tokens=1_000_000, output_tokens=1_000_000)
        batch = book.price("claude-sonnet-5", when, input_tokens=1_000_000, output_tokens=1_000_000, batch=True)
        assert batch.total_pico * 2 == std.total_pico
    assert _reference("claude-sonnet-5", late, (1_000_000, 1_000_000, 0, 0, 0), ctx={"processing": "batch"}) == Decimal(
        6
    )


@pytest.mark.parametrize(("model", "factor"), [("claude-opus-4-6", 6), ("claude-opus-4-7", 6), ("claude-opus-5", 2)])
def test_fast_mode_multiplier(model: str, factor: int) -> None:
    book = PriceBook()
    when = datetime(2026, 11, 1, tzinfo=UTC)
    std = book.price(model, when, input_tokens=10_000, output_tokens=2_000, cache_read_input_tokens=5_000)
    fast = book.price(model, when, input_tokens=10_000, output_tokens=2_000, cache_read_input_tokens=5_000, fast=True)
    assert fast.total_pico == factor * std.total_pico


def test_fast_mode_on_a_model_without_a_fast_price_is_flagged() -> None:
    parts = PriceBook().price(
        "claude-haiku-4-5", datetime(2026, 11, 1, tzinfo=UTC), input_tokens=10, output_tokens=10, fast=True
    )
    assert parts.priced and parts.note and "fast mode price unknown" in parts.note


@pytest.mark.parametrize(
    ("given", "resolved"),
    [
        ("opus", "claude-opus-5"),
        ("sonnet", "claude-sonnet-5"),
        ("haiku", "claude-haiku-4-5"),
        ("fable", "claude-fable-5"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"),
        ("anthropic/claude-opus-4-1", "claude-opus-4-1"),
        ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
        ("claude-sonnet-4-5[1m]", "claude-sonnet-4-5"),
    ],
)
def test_model_ids_as_claude_code_and_providers_write_them(given: str, resolved: str) -> None:
    assert PriceBook().catalogue_id(given) == resolved


def test_alias_follows_environment_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_DEFAULT_OPUS_MODEL", "claude-opus-4-1")
    assert PriceBook().catalogue_id("opus") == "claude-opus-4-1"


def test_unknown_model_is_unpriced_not_guessed() -> None:
    book = PriceBook()
    parts = book.price("gpt-4o", datetime(2026, 6, 1, tzinfo=UTC), input_tokens=10, output_tokens=10)
    assert not parts.priced and parts.total_pico == 0 and "no price known" in (parts.note or "")
    assert book.catalogue_id("<synthetic>") is None
    with pytest.raises(UnknownModel, match="not in the price catalogue"):
        book.require_known("totally-made-up")


def test_overrides_negotiated_and_private_models() -> None:
    book = PriceBook(
        overrides={
            "claude-opus-5": PriceOverride(input=Decimal(4), output=Decimal(20)),
            "acme-private-1": PriceOverride(input=Decimal("0.5"), output=Decimal(2)),
        }
    )
    when = datetime(2026, 6, 1, tzinfo=UTC)
    opus = book.price(
        "claude-opus-5", when, input_tokens=1_000_000, output_tokens=1_000_000, cache_read_input_tokens=1_000_000
    )
    assert pico_to_usd(opus.total_pico) == Decimal("24.5")  # 4 + 20 + catalogue cache read 0.50
    private = book.price(
        "acme-private-1", when, input_tokens=1_000_000, output_tokens=0, cache_read_input_tokens=1_000_000
    )
    assert private.priced and pico_to_usd(private.total_pico) == Decimal("0.55")  # read defaults to 0.1x input
    assert private.note == "price from configuration"


def test_unit_prices_follow_each_units_tiers_at_every_boundary() -> None:
    from core.price_types import ResolvedPrice, TieredPico

    price = ResolvedPrice(
        "m",
        input=TieredPico(10, ((100, 20), (200, 30))),
        output=TieredPico(50, ((150, 70),)),
        cache_write_5m=None,
        cache_write_1h=TieredPico(7),
        cache_read=TieredPico(1, ((200, 2),)),
    )
    units = (price.input, price.output, price.cache_write_5m, price.cache_write_1h, price.cache_read)
    for total in (0, 99, 100, 101, 149, 150, 151, 199, 200, 201, 10**9):
        assert price.unit_prices(total) == tuple(None if u is None else u.at(total) for u in units)
    assert price.unit_prices(150) == (20, 50, None, 7, 1) and price.unit_prices(201) == (30, 70, None, 7, 2)
    assert price.untiered is None
    flat = ResolvedPrice("n", TieredPico(3), TieredPico(4), None, None, None)
    assert flat.unit_prices(10**9) == (3, 4, None, None, None)


def test_resolved_by_day_holds_what_resolve_us_resolved_under_the_key_the_bulk_loop_builds() -> None:
    """`CostTracker.rows_for` looks here before calling `resolve_us`, with (model, ts_us // DAY_US, batch,
    fast): if the key changed, the bulk paths would silently call `resolve_us` for every record."""
    from core.windows import DAY_US, to_us

    book = PriceBook()
    ts_us = to_us(datetime(2026, 3, 4, 15, 30, tzinfo=UTC))
    for batch, fast in ((False, False), (True, False), (False, True)):
        resolved = book.resolve_us("claude-sonnet-4-5", ts_us, batch=batch, fast=fast)
        assert book.resolved_by_day[("claude-sonnet-4-5", ts_us // DAY_US, batch, fast)] is resolved
    assert book.resolve_us("not-a-model", ts_us) is None
    assert book.resolved_by_day[("not-a-model", ts_us // DAY_US, False, False)] is None
