"""Resolved prices kept on disk between hook runs, so a hook does not load the price catalogue.

Loading genai-prices' data costs 0.06-0.3 s, much of what a hook may take. A `PriceBook` caches each
(model id, UTC date, batch, fast) resolution in memory; this module saves those resolutions next
to the ledger and loads them into the next process's `PriceBook`, so a Stop hook that prices the
same models on the same day never opens the catalogue. The file is only a cache: it is tied to the
genai-prices data, the configured price overrides and tier models, and Claude Code's alias
variables, and is ignored (then rewritten) when any of them changes or it does not parse.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..files import atomic_file
from ..pricing import ResolvedPrice, TieredPico

if TYPE_CHECKING:
    from ..manager import ModelConfigManager

VERSION = 1
_ALIAS_ENV = ("ANTHROPIC_DEFAULT_OPUS_MODEL", "ANTHROPIC_DEFAULT_SONNET_MODEL", "ANTHROPIC_DEFAULT_HAIKU_MODEL",
              "ANTHROPIC_DEFAULT_FABLE_MODEL")


def cache_path(manager: ModelConfigManager) -> Path | None:
    if manager.db_path == ":memory:":
        return None
    db = Path(manager.db_path)
    return db.with_name(db.name + ".prices.json")


def catalogue_stamp() -> str:
    """Which genai-prices is installed: path, size and modification time of its `__init__.py` and its
    price data (two stats, where reading its version searches every installed distribution's metadata)."""
    try:
        spec = find_spec("genai_prices")
    except (ImportError, ValueError):
        return "?"
    if spec is None or spec.origin is None:
        return "?"
    init = Path(spec.origin)
    stamps = []
    for path in (init, init.with_name("data.py")):
        try:
            st = path.stat()
        except OSError:
            continue
        stamps.append(f"{path}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(stamps) or "?"


def fingerprint(manager: ModelConfigManager) -> str:
    parts = [
        str(VERSION),
        catalogue_stamp(),
        repr(sorted((k, repr(v)) for k, v in manager.price_book.overrides.items())),
        repr(sorted((str(k), v) for k, v in manager.price_book.tier_models.items())),
        repr([os.environ.get(name, "") for name in _ALIAS_ENV]),
    ]
    return hashlib.sha1("|".join(parts).encode()).hexdigest()


def load(manager: ModelConfigManager) -> int:
    """Fill the manager's price book from the cache file; returns how many resolutions were loaded."""
    path = cache_path(manager)
    if path is None:
        return 0
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("fingerprint") != fingerprint(manager):
            return 0
        entries = [
            (e["model"], date.fromisoformat(e["date"]), bool(e["batch"]), bool(e["fast"]), _decode(e["price"]))
            for e in data["entries"]
        ]
    except (OSError, ValueError, KeyError, TypeError):
        return 0
    manager.price_book.preload(entries)
    return len(entries)


def save(manager: ModelConfigManager) -> None:
    """Write the price book's resolutions (when there is something new), atomically."""
    path = cache_path(manager)
    resolutions = manager.price_book.day_resolutions()
    if path is None or not resolutions:
        return
    entries = [
        {"model": m, "date": d.isoformat(), "batch": b, "fast": f, "price": _encode(p)} for m, d, b, f, p in resolutions
    ]
    entries = entries[-2000:]  # a day's models, many days over: bounded
    payload = {"fingerprint": fingerprint(manager), "entries": entries}
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
        if old == json.loads(json.dumps(payload)):
            return
    except (OSError, ValueError):
        pass
    try:
        with atomic_file(path) as handle:
            handle.write(json.dumps(payload, separators=(",", ":")))
    except OSError:
        pass  # a cache: the next hook resolves prices again


def _encode(p: ResolvedPrice | None) -> dict[str, Any] | None:
    if p is None:
        return None
    tiered = {k: (None if v is None else [v.base, [list(t) for t in v.tiers]])
              for k, v in (("input", p.input), ("output", p.output), ("cache_write_5m", p.cache_write_5m),
                           ("cache_write_1h", p.cache_write_1h), ("cache_read", p.cache_read))}
    return {"model_id": p.model_id, "web_search_pico": p.web_search_pico, "note": p.note, **tiered}


def _decode(e: dict[str, Any] | None) -> ResolvedPrice | None:
    if e is None:
        return None

    def tp(v: Any) -> TieredPico | None:
        return None if v is None else TieredPico(int(v[0]), tuple((int(s), int(x)) for s, x in v[1]))

    return ResolvedPrice(
        model_id=e["model_id"], input=tp(e["input"]), output=tp(e["output"]),
        cache_write_5m=tp(e["cache_write_5m"]), cache_write_1h=tp(e["cache_write_1h"]),
        cache_read=tp(e["cache_read"]), web_search_pico=int(e["web_search_pico"]), note=e["note"],
    )
