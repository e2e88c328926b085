"""Exact money.

Costs are stored and summed as integer pico-dollars (1e-12 USD). Every Claude price is a
decimal number of dollars per million tokens with at most six decimal places, so the price of
one token is a whole number of pico-dollars and every sum is exact. Values leave the library as
`Decimal` dollars; JSON output turns them into numbers only at the edge, for display.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import PlainSerializer

PICO_PER_USD = 10**12
_PICO = Decimal(PICO_PER_USD)


def pico_to_usd(pico: int) -> Decimal:
    """Exact dollars for an integer pico-dollar amount (normalised, no trailing zeros)."""
    if pico == 0:
        return Decimal(0)
    return (Decimal(pico) / _PICO).normalize() if pico % PICO_PER_USD else Decimal(pico // PICO_PER_USD)


def usd_to_pico(usd: Decimal | int | str) -> int:
    """Pico-dollars for a dollar amount; refuses amounts finer than one pico-dollar."""
    value = Decimal(str(usd)) * _PICO
    if value != value.to_integral_value():
        raise ValueError(f"{usd} USD is not a whole number of pico-dollars")
    return int(value)


def usd_per_mtok_to_pico_per_token(price: Decimal) -> int:
    """$/million tokens -> pico-dollars per token (exact for prices with <= 6 decimals)."""
    value = price * Decimal(10**6)
    if value != value.to_integral_value():
        raise ValueError(f"price {price} $/MTok has more than 6 decimal places")
    return int(value)


def _as_number(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


Money = Annotated[Decimal, PlainSerializer(_as_number, return_type=float, when_used="json")]
"""Dollars as an exact Decimal in Python; a JSON number when serialised for display."""
