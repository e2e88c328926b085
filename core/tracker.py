"""CostTracker: records usage in the ledger and answers per-dimension questions about it."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

from .complexity import analyze_complexity
from .config import Settings, load_settings
from .errors import InvalidUsage
from .export import write_csv
from .models import CostDimension, CostRecord, CostSummary
from .money import pico_to_usd
from .paths import default_db_path
from .pricing import PriceBook, pico_parts, unpriced_note
from .store import MAX_US, USAGE_COLUMNS, Ledger, Totals
from .usage import UsageInput, validate_many, validate_usage
from .windows import DAY_US, from_us, last_days, to_us, utcnow

_DIMENSION_SCOPE = {CostDimension.AGENT: "agent", CostDimension.PROJECT: "project", CostDimension.MODEL: "model"}
_DIMENSION_COLUMN = {
    CostDimension.AGENT: "agent_type",
    CostDimension.PROJECT: "project_id",
    CostDimension.SESSION: "session_id",
    CostDimension.MODEL: "COALESCE(priced_model, model)",
}


class CostTracker:
    """Multi-dimensional cost tracking over the shared SQLite ledger."""

    def __init__(
        self,
        db_path: str | os.PathLike[str] | None = None,
        *,
        settings: Settings | None = None,
        config_dir: str | os.PathLike[str] | None = None,
        ledger: Ledger | None = None,
        price_book: PriceBook | None = None,
    ) -> None:
        self.settings = settings or load_settings(config_dir)
        self.ledger = ledger or Ledger(str(db_path) if db_path else str(default_db_path()))
        self.prices = price_book or PriceBook(
            overrides=self.settings.price_overrides(), tier_models=dict(self.settings.mapping.tiers)
        )

    @property
    def db_path(self) -> str:
        return self.ledger.path

    @property
    def zone(self) -> Any:
        return self.settings.zone

    # -- writes ----------------------------------------------------------------------------

    def track_usage(
        self,
        agent_type: str,
        model_type: str,
        input_tokens: int,
        output_tokens: int,
        project_id: str | None = None,
        session_id: str | None = None,
        task_description: str | None = None,
        *,
        cache_creation_input_tokens: int | None = None,
        cache_creation_5m_input_tokens: int | None = None,
        cache_creation_1h_input_tokens: int | None = None,
        cache_read_input_tokens: int = 0,
        web_search_requests: int = 0,
        request_id: str | None = None,
        timestamp: datetime | str | None = None,
        batch: bool = False,
        fast_mode: bool = False,
        source: str = "api",
    ) -> CostRecord:
        """Record one model call and return the stored record (the existing one for a known request_id)."""
        usage = validate_usage(
            {
                "agent_type": agent_type,
                "model_type": str(model_type) if model_type is not None else None,
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "project_id": project_id,
                "session_id": session_id,
                "task_description": task_description,
                "cache_creation_input_tokens": cache_creation_input_tokens,
                "cache_creation_5m_input_tokens": cache_creation_5m_input_tokens,
                "cache_creation_1h_input_tokens": cache_creation_1h_input_tokens,
                "cache_read_input_tokens": cache_read_input_tokens,
                "web_search_requests": web_search_requests,
                "request_id": request_id,
                "timestamp": timestamp,
                "batch": batch,
                "fast_mode": fast_mode,
            }
        )
        row = self.build_row(usage, source=source)
        stored, created = self.ledger.insert(row)
        return row_to_record(stored, duplicate=not created)

    def track_many(
        self, usages: Iterable[UsageInput | dict[str, Any]], *, source: str = "api", chunk: int = 20_000
    ) -> tuple[int, int]:
        """Bulk path: validate, price and insert many records in chunked transactions.

        Returns (new records, duplicates skipped). Every record of a chunk is validated before any of
        it is written; a bad record raises InvalidUsage naming its position (earlier chunks stay
        written). Each chunk commits while the next one is validated (see `core.store.bulk`).
        """
        if chunk < 1:
            raise InvalidUsage(f"chunk must be at least 1, not {chunk}")
        seen = 0
        canonical: dict[str, str] = {}  # model id as given -> id to record, resolved once per call
        items = iter(usages)
        with self.ledger.bulk() as bulk:  # which keeps the garbage collector off earlier chunks
            while batch := list(islice(items, chunk)):
                valid = validate_many(batch, first=seen)
                bulk.add(self._chunk_rows(valid, source, canonical))
                seen += len(valid)
        return bulk.inserted, seen - bulk.inserted

    def _chunk_rows(
        self, valid: list[dict[str, Any]], source: str, canonical: dict[str, str]
    ) -> list[tuple[Any, ...]]:
        """Rows for validated usages' values (`validate_many`'s, or a UsageInput's `__dict__`)."""
        return self.rows_for(
            (
                (
                    None if (ts := d["timestamp"]) is None else to_us(ts),
                    d["agent_type"],
                    d["model_type"],
                    d["input_tokens"],
                    d["output_tokens"],
                    d["cache_creation_input_tokens"] or 0,
                    d["cache_creation_1h_input_tokens"] or 0,
                    d["cache_read_input_tokens"],
                    d["web_search_requests"],
                    d["project_id"],
                    d["session_id"],
                    d["task_description"],
                    d["request_id"],
                    d["batch"],
                    d["fast_mode"],
                )
                for d in valid
            ),
            source,
            canonical,
        )

    def build_row(self, usage: UsageInput, *, source: str = "api") -> dict[str, Any]:
        return dict(zip(USAGE_COLUMNS, self._chunk_rows([usage.__dict__], source, {})[0], strict=True))

    def rows_for(
        self, records: Iterable[tuple[Any, ...]], source: str, canonical: dict[str, str] | None = None
    ) -> list[tuple[Any, ...]]:
        """Ledger rows (values in USAGE_COLUMNS order), priced, for records of values already validated.

        Each record is (ts_us or None for now, agent_type, model_type, input_tokens, output_tokens,
        cache_write_tokens, of which 1h, cache_read_tokens, web_search_requests, project_id, session_id,
        task_description, request_id, batch, fast): a UsageInput's (`track_usage`, `track_many`) or a
        transcript line's (the Claude Code import). This is the bulk paths' hot loop, so what is the same
        for every record is done once. `canonical` caches model ids as given -> ids to record.

        The records share one creation time; their ids are that time, 48 random bits for the call and
        the record's index in it: unique within the call, time-ordered across calls (which keeps the
        unique index append-only: random ids made bulk inserts 2x slower).
        """
        now_us = time.time_ns() // 1000
        stamp = f"{now_us:014x}{os.urandom(6).hex()}"
        prices = self.prices
        resolve = prices.resolve_us
        by_day = prices.resolved_by_day  # one lookup before the call (15 ms of 77 for 33,000 records)
        canonical_id = prices.canonical_id
        if canonical is None:
            canonical = {}
        rows: list[tuple[Any, ...]] = []
        append = rows.append
        missing: Any = by_day  # no resolution is this dict
        priced_model: str | None
        note: str | None
        for i, record in enumerate(records):
            ts_us, agent, model_type, inp, out, cw, cw_1h, cr, ws, project, session, task, request, batch, fast = record
            if ts_us is None:
                ts_us = now_us
            model = canonical.get(model_type)
            if model is None:
                model = canonical[model_type] = canonical_id(model_type)
            found = by_day.get((model, ts_us // DAY_US, batch, fast), missing)
            resolved = resolve(model, ts_us, batch=batch, fast=fast) if found is missing else found
            if resolved is None:
                priced_model, priced, note = None, 0, unpriced_note(model)
                a = b = c = d = e = 0
            else:
                priced_model, priced, note = resolved.model_id, 1, resolved.note
                a, b, c, d, e = pico_parts(resolved, inp, out, cw, cw_1h, cr, ws)
            append((f"{stamp}{i:05x}", request, ts_us, agent, model, priced_model, project, session, task,
                    analyze_complexity(task).level if task else None, inp, out, cw, cw_1h, cr, ws, 1 if batch else 0,
                    1 if fast else 0, priced, note, a, b, c, d, e, a + b + c + d + e, source, now_us))
        return rows

    # -- reads -----------------------------------------------------------------------------

    def window(self, days: int | None, now: datetime | None = None) -> tuple[int, int]:
        """[start, end) in UTC us for the last `days` local calendar days (today included); all time if None."""
        if days is None:
            return 0, MAX_US
        if isinstance(days, bool) or not isinstance(days, int) or days < 1 or days > 36_500:
            raise InvalidUsage(f"days must be a whole number from 1 to 36500, got {days!r}")
        start, end = last_days(days, now or utcnow(), self.zone)
        return to_us(start), to_us(end)

    def get_summary(
        self,
        dimension: CostDimension | str = CostDimension.AGENT,
        days: int | None = None,
        *,
        filters: dict[str, str] | None = None,
    ) -> list[CostSummary]:
        """Totals per value of a dimension, most expensive first."""
        dimension = _dimension(dimension)
        start, end = self.window(days)
        if dimension is CostDimension.DATE:
            items = list(self.daily_totals(start, end, filters=filters).items())
        elif dimension in _DIMENSION_SCOPE and not filters:
            items = list(self.ledger.totals_by(_DIMENSION_SCOPE[dimension], start, end).items())
        else:
            items = [
                (value, totals)
                for value, totals in self.ledger.grouped(_DIMENSION_COLUMN[dimension], start, end, _filters(filters))
                if value is not None
            ]
        summaries = [_summary(dimension, str(value), t) for value, t in items]
        if dimension is CostDimension.DATE:
            return summaries
        return sorted(summaries, key=lambda s: (-s.total_cost, s.dimension_value))

    def daily_totals(self, start_us: int, end_us: int, *, filters: dict[str, str] | None = None) -> dict[str, Totals]:
        """Totals per local calendar day (ISO date) over [start, end), every day present, oldest first."""
        zone = self.zone
        out: dict[str, Totals] = {}
        if end_us != MAX_US:
            day = from_us(start_us).astimezone(zone).date()
            last = from_us(end_us - 1).astimezone(zone).date()
            while day <= last:
                out[day.isoformat()] = Totals()
                day += timedelta(days=1)
        if filters:
            scope_items = [(from_us(ts), t) for ts, t in _raw_series(self.ledger, start_us, end_us, _filters(filters))]
        else:
            scope_items = [(from_us(b), t) for b, t in self.ledger.bucket_series("*", start_us, end_us)]
        for when, totals in scope_items:
            key = when.astimezone(zone).date().isoformat()
            out.setdefault(key, Totals())
            out[key].merge(totals)
        return dict(sorted(out.items()))

    def get_daily_costs(self, days: int = 7) -> dict[str, Decimal]:
        """Cost per local calendar day for the last `days` days (today included), oldest first."""
        start, end = self.window(days)
        return {day: pico_to_usd(t.cost_pico) for day, t in self.daily_totals(start, end).items()}

    def get_model_distribution(self, days: int | None = None) -> dict[str, dict[str, Any]]:
        """Per model: total_cost, percentage_cost, operations, percentage_operations, tokens."""
        start, end = self.window(days)
        by_model = self.ledger.totals_by("model", start, end)
        return model_distribution(by_model)

    def get_records(
        self,
        days: int | None = None,
        *,
        filters: dict[str, str] | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[CostRecord]:
        start, end = self.window(days)
        rows = self.ledger.records(start, end, filters=_filters(filters), limit=limit, offset=offset, newest_first=True)
        return [row_to_record(r) for r in rows]

    def export_to_csv(
        self,
        output_file: str | os.PathLike[str],
        days: int | None = None,
        *,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Write every record of the window to CSV (atomically: a temp file renamed into place)."""
        start, end = self.window(days)
        return write_csv(self.ledger, output_file, start, end, progress=progress)


def _dimension(value: CostDimension | str) -> CostDimension:
    try:
        return CostDimension(value)
    except ValueError:
        options = ", ".join(d.value for d in CostDimension)
        raise InvalidUsage(f"unknown dimension {value!r}; use one of: {options}") from None


_FILTER_KEYS = {
    "agent_type": "agent_type",
    "agent": "agent_type",
    "project_id": "project_id",
    "project": "project_id",
    "session_id": "session_id",
    "session": "session_id",
    "model": "model",
    "model_type": "model",
}


def _filters(filters: dict[str, str] | None) -> dict[str, str] | None:
    if not filters:
        return None
    out = {}
    for key, value in filters.items():
        if value is None:
            continue
        if key not in _FILTER_KEYS:
            raise InvalidUsage(f"unknown filter {key!r}; use agent_type, project_id, session_id or model")
        out[_FILTER_KEYS[key]] = value
    return out or None


def _raw_series(ledger: Ledger, start: int, end: int, filters: dict[str, str] | None) -> Iterable[tuple[int, Totals]]:
    columns = (
        "ts_us",
        "priced",
        "input_tokens",
        "output_tokens",
        "cache_write_tokens",
        "cache_read_tokens",
        "cost_pico",
    )
    for row in ledger.records(start, end, filters=filters, columns=columns):
        t = Totals()
        t.add(
            (
                1,
                1 - row["priced"],
                row["input_tokens"],
                row["output_tokens"],
                row["cache_write_tokens"],
                row["cache_read_tokens"],
                row["cost_pico"],
            )
        )
        yield row["ts_us"], t


def _summary(dimension: CostDimension, value: str, t: Totals) -> CostSummary:
    return CostSummary(
        dimension=dimension,
        dimension_value=value,
        total_cost=pico_to_usd(t.cost_pico),
        record_count=t.ops,
        input_tokens=t.input_tokens,
        output_tokens=t.output_tokens,
        cache_creation_input_tokens=t.cache_write_tokens,
        cache_read_input_tokens=t.cache_read_tokens,
        unpriced_records=t.unpriced_ops,
    )


def model_distribution(by_model: dict[str, Totals]) -> dict[str, dict[str, Any]]:
    """Per model, most expensive first: cost and operations with their shares (also the dashboard's)."""
    total_cost = sum(t.cost_pico for t in by_model.values())
    total_ops = sum(t.ops for t in by_model.values())
    out: dict[str, dict[str, Any]] = {}
    for model, t in sorted(by_model.items(), key=lambda kv: (-kv[1].cost_pico, -kv[1].ops, kv[0])):
        out[model] = {
            "total_cost": pico_to_usd(t.cost_pico),
            "percentage_cost": percentage(t.cost_pico, total_cost),
            "operations": t.ops,
            "percentage_operations": percentage(t.ops, total_ops),
            "total_tokens": t.tokens,
            "unpriced_operations": t.unpriced_ops,
        }
    return out


def percentage(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 4) if whole else 0.0


def row_to_record(row: dict[str, Any], *, duplicate: bool = False) -> CostRecord:
    return CostRecord(
        record_id=row["record_id"],
        request_id=row["request_id"],
        timestamp=from_us(row["ts_us"]),
        agent_type=row["agent_type"],
        model_type=row["model"],
        priced_model=row["priced_model"],
        project_id=row["project_id"],
        session_id=row["session_id"],
        task_description=row["task_description"],
        complexity=row["complexity"],
        input_tokens=row["input_tokens"],
        output_tokens=row["output_tokens"],
        cache_creation_input_tokens=row["cache_write_tokens"],
        cache_creation_1h_input_tokens=row["cache_write_1h_tokens"],
        cache_read_input_tokens=row["cache_read_tokens"],
        web_search_requests=row["web_search_requests"],
        batch=bool(row["batch"]),
        fast_mode=bool(row["fast"]),
        priced=bool(row["priced"]),
        price_note=row["price_note"],
        input_cost=pico_to_usd(row["input_cost_pico"]),
        output_cost=pico_to_usd(row["output_cost_pico"]),
        cache_write_cost=pico_to_usd(row["cache_write_cost_pico"]),
        cache_read_cost=pico_to_usd(row["cache_read_cost_pico"]),
        web_search_cost=pico_to_usd(row["web_search_cost_pico"]),
        total_cost=pico_to_usd(row["cost_pico"]),
        source=row["source"],
        duplicate=duplicate,
    )
