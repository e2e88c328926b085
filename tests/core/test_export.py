"""The CSV export formats money and times from integers: the text must equal Decimal's and isoformat's."""

from __future__ import annotations

import random

import pytest

from core.export import _usd_text, _utc_text
from core.money import pico_to_usd
from core.windows import from_us

PICOS = [0, 1, 7, 150_000, 1_000_000, 1_500_000, 10**12, 10**12 + 1, 123_456_789_012_345, 5 * 10**13, 10**26]


@pytest.mark.parametrize("pico", PICOS + [random.Random(7).randrange(1, 10**15) for _ in range(300)])
def test_money_text_equals_decimal(pico: int) -> None:
    assert _usd_text(pico) == str(pico_to_usd(pico))


@pytest.mark.parametrize(
    "ts_us",
    [0, 1, 999_999, 1_000_000, 1_764_300_000_000_000, *[random.Random(3).randrange(0, 2**52) for _ in range(300)]],
)
def test_time_text_equals_isoformat(ts_us: int) -> None:
    assert _utc_text(ts_us) == from_us(ts_us).isoformat()
