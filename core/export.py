"""CSV export of ledger records: the columns, and text formatted from integers on the hot path.

A 30-day export is ~300,000 rows: money and times are formatted from the stored integers (the same
text `str(Decimal)` and `datetime.isoformat()` give, checked in tests/core/test_export.py) instead
of building a Decimal and a datetime per value.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ExportPathError
from .files import atomic_file
from .money import pico_to_usd
from .store import Ledger
from .windows import DAY_US, from_us

# (CSV header, ledger column) in file order: the single list both are derived from.
_CSV_FIELDS = (
    ("timestamp", "ts_us"),
    ("record_id", "record_id"),
    ("request_id", "request_id"),
    ("agent_type", "agent_type"),
    ("model", "model"),
    ("priced_model", "priced_model"),
    ("project_id", "project_id"),
    ("session_id", "session_id"),
    ("task_description", "task_description"),
    ("complexity", "complexity"),
    ("input_tokens", "input_tokens"),
    ("output_tokens", "output_tokens"),
    ("cache_creation_input_tokens", "cache_write_tokens"),
    ("cache_creation_1h_input_tokens", "cache_write_1h_tokens"),
    ("cache_read_input_tokens", "cache_read_tokens"),
    ("web_search_requests", "web_search_requests"),
    ("batch", "batch"),
    ("fast_mode", "fast"),
    ("priced", "priced"),
    ("input_cost_usd", "input_cost_pico"),
    ("output_cost_usd", "output_cost_pico"),
    ("cache_write_cost_usd", "cache_write_cost_pico"),
    ("cache_read_cost_usd", "cache_read_cost_pico"),
    ("web_search_cost_usd", "web_search_cost_pico"),
    ("total_cost_usd", "cost_pico"),
    ("source", "source"),
    ("price_note", "price_note"),
)
CSV_COLUMNS = [header for header, _ in _CSV_FIELDS]
# The export's hot path reads rows as tuples in this column order and formats money from integers.
_CSV_SOURCE = tuple(column for _, column in _CSV_FIELDS)


def export_target(output_file: str | os.PathLike[str]) -> Path:
    """The path an export may be written to: a file name in a directory that exists."""
    path = Path(output_file)
    if path.is_dir():
        raise ExportPathError(f"{path} is a directory; give a file name")
    if not path.parent.exists():
        raise ExportPathError(f"directory {path.parent} does not exist")
    return path


def write_csv(
    ledger: Ledger,
    output_file: str | os.PathLike[str],
    start_us: int,
    end_us: int,
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the records in [start, end) as CSV, atomically; returns how many rows were written."""
    count = 0
    with atomic_file(export_target(output_file), newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for batch in ledger._row_batches(start_us, end_us, columns=_CSV_SOURCE):
            writer.writerows(map(_csv_values, batch))
            if progress:
                for done in range(count + 50_000 - count % 50_000, count + len(batch) + 1, 50_000):
                    progress(done)
            count += len(batch)
    return count




def _usd_text(pico: int) -> str:
    """str(pico_to_usd(pico)) computed on the integer's digits, without building the Decimal.

    Decimal's rules: trailing zeros dropped; plain notation unless the adjusted exponent is below
    -6 (amounts under $0.000001 print as e.g. '1.5E-7'); 28 significant digits (longer amounts,
    and negative ones, never seen in practice, take the Decimal path).
    """
    if not pico:
        return "0"
    if pico < 0 or pico >= 10**27:
        return str(pico_to_usd(pico))
    digits = str(pico)
    n = len(digits)
    if n > 12:  # a dollar or more
        cents = digits[-12:].rstrip("0")
        return f"{digits[:-12]}.{cents}" if cents else digits[:-12]
    significant = digits.rstrip("0")
    if n < 7:  # under $0.000001: adjusted exponent n - 13 < -6
        head, tail = significant[0], significant[1:]
        return f"{head}.{tail}E{n - 13}" if tail else f"{head}E{n - 13}"
    return f"0.{'0' * (12 - n)}{significant}"


_DAY_PREFIX: dict[int, str] = {}


def _utc_text(ts_us: int) -> str:
    """from_us(ts_us).isoformat() from integer arithmetic, with each day's date text computed once."""
    day, rest = divmod(ts_us, DAY_US)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = from_us(day * DAY_US).date().isoformat() + "T"
        if len(_DAY_PREFIX) < 100_000:
            _DAY_PREFIX[day] = prefix
    seconds, micros = divmod(rest, 1_000_000)
    minute, second = divmod(seconds, 60)
    if micros:
        return f"{prefix}{_HOUR_MINUTE[minute]}{second:02d}.{micros:06d}+00:00"
    return f"{prefix}{_HOUR_MINUTE[minute]}{second:02d}+00:00"


_HOUR_MINUTE = [f"{hour:02d}:{minute:02d}:" for hour in range(24) for minute in range(60)]


def _csv_values(v: tuple[Any, ...], usd: Callable[[int], str] = _usd_text) -> tuple[Any, ...]:
    """`_csv_row` for a `_CSV_SOURCE` tuple: the same text (csv writes None as an empty field, and the
    flags are stored as 0/1), at a third of the cost; a 30-day export is ~300k rows."""
    return (
        _utc_text(v[0]),
        *v[1:19],
        usd(v[19]) if v[19] else "0",
        usd(v[20]) if v[20] else "0",
        usd(v[21]) if v[21] else "0",
        usd(v[22]) if v[22] else "0",
        usd(v[23]) if v[23] else "0",
        usd(v[24]) if v[24] else "0",
        v[25],
        v[26],
    )
