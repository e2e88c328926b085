"""`models` (the priced catalogue and the tier mapping) and `select` (which model for a task)."""

from __future__ import annotations

import argparse
from decimal import Decimal
from typing import Any

from ..models import Tier
from ..money import pico_to_usd
from . import fmt
from .context import emit_json, emit_lines, open_manager
from .style import Style
from .tables import table

_PRICE_KEYS = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")


def model_rows(manager: Any) -> list[dict[str, Any]]:
    """Every Anthropic model in the catalogue plus configured-only models, with today's $/MTok."""
    from ..pricing import catalogue_models
    from ..windows import utcnow

    book = manager.price_book
    now = utcnow()
    infos = {m.id: m for m in catalogue_models()}
    ids = sorted(set(infos) | set(book.overrides))
    rows: list[dict[str, Any]] = []
    for model_id in ids:
        resolved = book.resolve(model_id, now)
        if resolved is None:  # pragma: no cover - catalogue ids always resolve
            continue
        info = infos.get(model_id)
        prices: dict[str, Any] = {}
        long_context: list[dict[str, Any]] = []
        for key in _PRICE_KEYS:
            part = getattr(resolved, key)
            prices[key] = None if part is None else _per_mtok(part.base)
            if part is not None and part.tiers and key in ("input", "output"):
                long_context += [
                    {"unit": key, "above_input_tokens": start, "usd_per_mtok": _per_mtok(price)}
                    for start, price in part.tiers
                ]
        tier = book.tier_of(model_id)
        rows.append(
            {
                "id": model_id,
                "name": info.name if info else None,
                "tier": tier.value if tier else None,
                "usd_per_mtok": prices,
                "web_search_usd_per_1k": pico_to_usd(resolved.web_search_pico * 1000),
                "long_context": long_context,
                "override": model_id in book.overrides,
                "deprecated": bool(info and info.deprecated),
                "context_window": info.context_window if info else None,
            }
        )
    rank = {t.value: t.rank for t in Tier}
    rows.sort(key=lambda r: (-rank.get(r["tier"] or "", -1), r["id"]))
    return rows


def _per_mtok(pico_per_token: int) -> Decimal:
    return pico_to_usd(pico_per_token * 10**6)


def cmd_models(args: argparse.Namespace) -> int:
    with open_manager(args) as manager:
        rows = model_rows(manager)
        mapping = manager.settings.mapping
        selector = manager.selector
        tiers = {t.value: selector.model_for(t) for t in reversed(list(Tier))}
    if args.tier:
        rows = [r for r in rows if r["tier"] == args.tier]
    payload = {
        "tiers": tiers,
        "agents": dict(mapping.agents),
        "default_tier": mapping.default_tier.value if mapping.default_tier else None,
        "models": rows,
    }
    if args.json:
        return emit_json(payload)
    s = Style()
    lines = [s.heading("Tier mapping")]
    lines += table(["TIER", "MODEL"], [[t, m] for t, m in tiers.items()], align="ll", style=s)
    if mapping.agents:
        lines += ["", s.heading("Agent mapping (agent-model-mapping.json)")]
        lines += table(
            ["AGENT", "TIER OR MODEL"], [[a, t] for a, t in sorted(mapping.agents.items())], align="ll", style=s
        )
    lines += ["", s.heading("Prices, USD per million tokens (today)")]
    body = []
    for r in rows:
        p = r["usd_per_mtok"]
        notes = []
        if r["long_context"]:
            notes.append(f"more above {r['long_context'][0]['above_input_tokens'] // 1000}k input")
        if r["override"]:
            notes.append("configured price")
        if r["deprecated"]:
            notes.append("deprecated")
        if r["id"] in tiers.values():
            notes.append("tier default")
        body.append(
            [
                r["id"],
                r["tier"] or "-",
                _price(p["input"]),
                _price(p["output"]),
                _price(p["cache_write_5m"]),
                _price(p["cache_write_1h"]),
                _price(p["cache_read"]),
                ", ".join(notes),
            ]
        )
    lines += table(
        ["MODEL", "TIER", "INPUT", "OUTPUT", "CACHE W 5M", "CACHE W 1H", "CACHE READ", "NOTES"],
        body,
        align="llrrrrrl",
        style=s,
    )
    return emit_lines(lines)


def _price(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:g}"


def cmd_select(args: argparse.Namespace) -> int:
    with open_manager(args) as manager:
        rec = manager.select_model(args.agent, args.task, args.profile, args.tokens, project_id=args.project)
    if args.json:
        return emit_json(rec)
    s = Style()
    budget = ""
    if rec.budget_alert_level.value != "ok":
        budget = f" {s.dot} budget {s.level(rec.budget_alert_level.value)}"
    lines = [
        f"{s(rec.model.value, 'bold')} ({rec.tier.value}) {s.dot} estimated {fmt.usd(rec.estimated_cost)} for "
        f"{fmt.count(rec.cost_basis.estimated_tokens)} tokens {s.dot} confidence {rec.confidence:.0%}{budget}",
    ]
    lines += [f"  {s.dot} {reason}" for reason in rec.reasoning]
    if rec.alternatives:
        lines += ["", s.heading("Alternatives")]
        lines += table(
            ["TIER", "MODEL", "ESTIMATED"],
            [[a.tier.value, a.model, fmt.usd(a.estimated_cost)] for a in rec.alternatives],
            align="llr",
            style=s,
        )
    return emit_lines(lines)
