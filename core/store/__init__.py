"""The usage ledger: the only module that writes SQL.

One SQLite file shared by every process (each Claude Code session runs its own server):
- WAL, a 30 s busy timeout, and `BEGIN IMMEDIATE` for every write, so writers queue instead of
  failing with `database is locked`; readers never block.
- `usage` rows are never updated (a trigger refuses it); a transcript import may replace a row by a
  later snapshot of the same request (`supersede`). `record_id` and `request_id` are unique: a request seen before
  (also from another process, racing) returns the stored row and adds nothing.
- `usage_totals` holds 15-minute rollups per scope ('*', 'agent:X', 'project:Y', 'model:Z'),
  maintained in the same transaction as the insert (by a trigger; the bulk path sums its chunk in one
  statement instead), so they can never drift from
  the rows. Budgets and dashboards read rollups (a month is ~3,000 buckets, not ~300,000 rows);
  every IANA zone in use has an offset that is a multiple of 15 minutes, so local day, week and
  month boundaries fall on bucket edges. A window edge that does not is read from the rows.
- `usage_totals_day` sums those buckets per whole UTC day (kept by triggers on `usage_totals`):
  a window reads its whole UTC days there and only its partial days from the 15-minute buckets.

The package: `schema.py` holds the migrations, `ledger.py` the `Ledger` that reads and writes.
"""

from __future__ import annotations

from typing import Any

from .ledger import Ledger
from .reads import Totals
from .schema import BUCKET_US, DAY_BUCKETS, MAX_US, USAGE_COLUMNS, _build_migrations

__all__ = ["BUCKET_US", "DAY_BUCKETS", "MAX_US", "USAGE_COLUMNS", "Ledger", "Totals"]


def __getattr__(name: str) -> Any:
    if name == "migrations":  # the sqlite-utils `Migrations` of this module, as before
        return _build_migrations()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
