"""Small terminal charts: horizontal bars for spend over time, and a budget gauge."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

_EIGHTHS = " ▏▎▍▌▋▊▉"


def bar(value: Decimal | float, maximum: Decimal | float, width: int, *, unicode: bool = True) -> str:
    """A bar of `value / maximum` of `width` cells (Unicode eighths, or '#' in ASCII)."""
    if maximum <= 0 or value <= 0:
        return ""
    share = min(1.0, float(value) / float(maximum))
    if not unicode:
        cells = round(share * width)
        return "#" * max(cells, 1)
    eighths = max(1, round(share * width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def gauge(share: float, width: int = 10, *, unicode: bool = True) -> str:
    """[█████░░░░░] for a share of a budget; a share above 1 fills the gauge and adds '+'."""
    filled = max(0, min(width, round(share * width)))
    if share > 0 and filled == 0:
        filled = 1
    on, off = ("█", "░") if unicode else ("#", ".")
    return "[" + on * filled + off * (width - filled) + "]" + ("+" if share > 1 else "")


def group_points(points: list[tuple[str, Decimal]], days: int) -> tuple[str, list[tuple[str, Decimal]]]:
    """Daily points as they read best: per day up to a month, per week up to a year, then per month.

    Returns (unit, [(label, value)]); dates are ISO strings, oldest first.
    """
    if days <= 31:
        return "day", [(_day_label(d), v) for d, v in points]
    if days <= 366:
        unit, key = "week", _week_start
    else:
        unit, key = "month", _month
    grouped: dict[str, Decimal] = {}
    for d, v in points:
        label = key(date.fromisoformat(d))
        grouped[label] = grouped.get(label, Decimal(0)) + v
    return unit, list(grouped.items())


def bar_lines(points: list[tuple[str, Decimal]], values: list[str], width: int, *, unicode: bool = True) -> list[str]:
    """One line per point: label, formatted value, bar scaled to the largest value."""
    if not points:
        return []
    top = max(v for _, v in points)
    lw = max(len(label) for label, _ in points)
    vw = max(len(s) for s in values)
    return [
        f"  {label:<{lw}}  {text:>{vw}}  {bar(v, top, width, unicode=unicode)}".rstrip()
        for (label, v), text in zip(points, values, strict=True)
    ]


def _day_label(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d:%a} {d:%m-%d}"


def _week_start(d: date) -> str:
    return f"wk {(d - timedelta(days=d.weekday())):%Y-%m-%d}"


def _month(d: date) -> str:
    return f"{d:%Y-%m}"
