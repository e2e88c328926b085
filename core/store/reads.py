"""Reads over the ledger: window totals from the rollups, grouped sums and record pages."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .schema import BUCKET_US, DAY_BUCKETS, MAX_US, USAGE_COLUMNS

_TOTAL_COLS = (
    "SUM(ops), SUM(unpriced_ops), SUM(input_tokens), SUM(output_tokens), "
    "SUM(cache_write_tokens), SUM(cache_read_tokens), SUM(cost_pico)"
)


@dataclass
class Totals:
    ops: int = 0
    unpriced_ops: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    cost_pico: int = 0

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_write_tokens + self.cache_read_tokens

    def merge(self, other: Totals) -> None:
        """Add another window's (or group's) sums to these."""
        self.add(
            (
                other.ops,
                other.unpriced_ops,
                other.input_tokens,
                other.output_tokens,
                other.cache_write_tokens,
                other.cache_read_tokens,
                other.cost_pico,
            )
        )

    def add(self, row: Sequence[Any]) -> None:
        self.ops += row[0] or 0
        self.unpriced_ops += row[1] or 0
        self.input_tokens += row[2] or 0
        self.output_tokens += row[3] or 0
        self.cache_write_tokens += row[4] or 0
        self.cache_read_tokens += row[5] or 0
        self.cost_pico += row[6] or 0


_RAW_COLS = (
    "COUNT(*), SUM(1 - priced), SUM(input_tokens), SUM(output_tokens), "
    "SUM(cache_write_tokens), SUM(cache_read_tokens), SUM(cost_pico)"
)
_RAW_SCOPE = {
    "agent": "'agent:' || agent_type",
    "project": "'project:' || project_id",
    "model": "'model:' || COALESCE(priced_model, model)",
}


def _split(start_us: int, end_us: int) -> tuple[int, int, list[tuple[int, int]]]:
    """Whole buckets [b0, b1) inside [start, end) and the raw time ranges left at the edges."""
    b0 = -(-start_us // BUCKET_US)
    b1 = end_us // BUCKET_US
    if b0 >= b1:
        return 0, 0, [(start_us, end_us)]
    edges = [(s, e) for s, e in ((start_us, b0 * BUCKET_US), (b1 * BUCKET_US, end_us)) if s < e]
    return b0, b1, edges


def _plan(start_us: int, end_us: int) -> tuple[list[tuple[str, int, int]], list[tuple[int, int]]]:
    """[start, end) as rollup ranges, (table, first key, end key) over whole UTC days then 15-minute
    buckets, and the raw time ranges left at the edges."""
    b0, b1, edges = _split(start_us, end_us)
    if b0 >= b1:
        return [], edges
    d0 = -(-b0 // DAY_BUCKETS)
    d1 = b1 // DAY_BUCKETS
    if d0 >= d1:
        return [(_BUCKETS, b0, b1)], edges
    buckets = [(_BUCKETS, s, e) for s, e in ((b0, d0 * DAY_BUCKETS), (d1 * DAY_BUCKETS, b1)) if s < e]
    return [(_DAYS, d0, d1), *buckets], edges


# The rollup tables as FROM clauses: the scope condition is filled in, the key range is two parameters.
_DAYS = "usage_totals_day WHERE {scope} AND day >= ? AND day < ?"
_BUCKETS = "usage_totals WHERE {scope} AND bucket >= ? AND bucket < ?"


class LedgerReads:
    """The read half of `Ledger` (a mixin: `read()` comes from the Ledger)."""

    if TYPE_CHECKING:
        _lock: threading.RLock

        @property
        def conn(self) -> sqlite3.Connection: ...

        def read(self) -> AbstractContextManager[sqlite3.Connection]: ...

    # -- aggregate reads -------------------------------------------------------------------

    def totals(self, scope: str, start_us: int = 0, end_us: int = MAX_US) -> Totals:
        """Sums over [start, end) for one scope ('*', 'agent:X', 'project:Y', 'model:Z')."""
        return self._totals_many([(scope, start_us, end_us)])[0]

    def _totals_many(self, windows: Sequence[tuple[str, int, int]]) -> list[Totals]:
        """`totals` for several (scope, start, end) windows at once: one statement, so one snapshot
        and one round trip (a budget check right after a write paid ~20 us per statement)."""
        parts: list[str] = []
        params: list[Any] = []
        for i, (scope, start_us, end_us) in enumerate(windows):
            rollups, edges = _plan(start_us, end_us)
            for table, k0, k1 in rollups:
                parts.append(f"SELECT {i}, {_TOTAL_COLS} FROM {table.format(scope='scope = ?')}")
                params += (scope, k0, k1)
            if edges:
                where, extra = self._scope_where(scope)
                for s, e in edges:
                    parts.append(f"SELECT {i}, {_RAW_COLS} FROM usage WHERE ts_us >= ? AND ts_us < ?{where}")
                    params += (s, e, *extra)
        out = [Totals() for _ in windows]
        with self._lock:
            for row in self.conn.execute(" UNION ALL ".join(parts), params):
                out[row[0]].add(row[1:])
        return out

    @staticmethod
    def _scope_where(scope: str) -> tuple[str, tuple[Any, ...]]:
        if scope == "*":
            return "", ()
        kind, _, value = scope.partition(":")
        if kind == "agent":
            return " AND agent_type = ?", (value,)
        if kind == "project":
            return " AND project_id = ?", (value,)
        if kind == "model":
            return " AND COALESCE(priced_model, model) = ?", (value,)
        raise ValueError(f"unknown scope {scope!r}")

    def totals_by(self, kind: str, start_us: int = 0, end_us: int = MAX_US) -> dict[str, Totals]:
        """Sums over [start, end) for every scope of a kind ('agent', 'project', 'model')."""
        rollups, edges = _plan(start_us, end_us)
        out: dict[str, Totals] = {}
        prefix = f"{kind}:"
        with self.read() as conn:
            rows: list[Any] = []
            for table, k0, k1 in rollups:
                rows += conn.execute(
                    f"SELECT scope, {_TOTAL_COLS} FROM {table.format(scope='scope >= ? AND scope < ?')} GROUP BY scope",
                    (prefix, kind + ";", k0, k1),
                ).fetchall()
            for s, e in edges:
                rows += conn.execute(
                    f"SELECT {_RAW_SCOPE[kind]} AS scope, {_RAW_COLS} FROM usage "
                    "WHERE ts_us >= ? AND ts_us < ? AND scope IS NOT NULL GROUP BY scope",
                    (s, e),
                ).fetchall()
        for row in rows:
            out.setdefault(row[0][len(prefix) :], Totals()).add(row[1:])
        return out

    def bucket_series(self, scope: str, start_us: int, end_us: int) -> list[tuple[int, Totals]]:
        """(bucket start in UTC us, sums) for every non-empty 15-minute bucket in [start, end)."""
        b0, b1, edges = _split(start_us, end_us)
        out: list[tuple[int, Totals]] = []
        where, params = self._scope_where(scope)
        with self.read() as conn:
            if b0 < b1:
                for row in conn.execute(
                    "SELECT bucket, ops, unpriced_ops, input_tokens, output_tokens, cache_write_tokens, "
                    "cache_read_tokens, cost_pico FROM usage_totals WHERE scope = ? AND bucket >= ? AND bucket < ?",
                    (scope, b0, b1),
                ):
                    t = Totals()
                    t.add(row[1:])
                    out.append((row[0] * BUCKET_US, t))
            for s, e in edges:
                for row in conn.execute(
                    f"SELECT ts_us, 1, 1 - priced, input_tokens, output_tokens, cache_write_tokens, "
                    f"cache_read_tokens, cost_pico FROM usage WHERE ts_us >= ? AND ts_us < ?{where}",
                    (s, e, *params),
                ):
                    t = Totals()
                    t.add(row[1:])
                    out.append((row[0], t))
        return out

    def first_bucket(self, scope: str = "*") -> int | None:
        with self.read() as conn:
            row = conn.execute("SELECT MIN(bucket) FROM usage_totals WHERE scope = ?", (scope,)).fetchone()
        return None if row[0] is None else row[0] * BUCKET_US

    # -- record reads ----------------------------------------------------------------------

    def records(
        self,
        start_us: int = 0,
        end_us: int = MAX_US,
        *,
        filters: dict[str, str] | None = None,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
        columns: Sequence[str] = USAGE_COLUMNS,
    ) -> Iterator[dict[str, Any]]:
        """Rows in [start, end), optionally filtered by exact column values, in time order."""
        for row in self._rows(
            start_us, end_us, filters=filters, limit=limit, offset=offset, newest_first=newest_first, columns=columns
        ):
            yield dict(zip(columns, row, strict=True))

    def _rows(
        self,
        start_us: int = 0,
        end_us: int = MAX_US,
        *,
        filters: dict[str, str] | None = None,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
        columns: Sequence[str] = USAGE_COLUMNS,
    ) -> Iterator[tuple[Any, ...]]:
        """`records` as value tuples in `columns` order."""
        for batch in self._row_batches(
            start_us, end_us, filters=filters, limit=limit, offset=offset, newest_first=newest_first, columns=columns
        ):
            yield from batch

    def _row_batches(
        self,
        start_us: int = 0,
        end_us: int = MAX_US,
        *,
        filters: dict[str, str] | None = None,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
        columns: Sequence[str] = USAGE_COLUMNS,
    ) -> Iterator[list[tuple[Any, ...]]]:
        """`records` as lists of up to 2,000 value tuples (exports write them without a dict per row)."""
        where, params = self._filter_sql(start_us, end_us, filters)
        order = "ts_us DESC, id" if newest_first else "ts_us, id"
        sql = f"SELECT {', '.join(columns)} FROM usage WHERE {where} ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        with self.read() as conn:
            cur = conn.execute(sql, params)
            while batch := cur.fetchmany(2000):
                yield batch

    def count(self, start_us: int = 0, end_us: int = MAX_US, filters: dict[str, str] | None = None) -> int:
        where, params = self._filter_sql(start_us, end_us, filters)
        with self.read() as conn:
            return int(conn.execute(f"SELECT COUNT(*) FROM usage WHERE {where}", params).fetchone()[0])

    def grouped(
        self,
        group_sql: str,
        start_us: int = 0,
        end_us: int = MAX_US,
        filters: dict[str, str] | None = None,
    ) -> list[tuple[Any, Totals]]:
        """Sums grouped by a column expression over raw rows (for filtered or per-session views)."""
        if group_sql not in _GROUPABLE:
            raise ValueError(f"cannot group by {group_sql!r}")
        where, params = self._filter_sql(start_us, end_us, filters)
        out: list[tuple[Any, Totals]] = []
        with self.read() as conn:
            for row in conn.execute(
                f"SELECT {group_sql} AS g, {_RAW_COLS} FROM usage WHERE {where} GROUP BY g", params
            ):
                t = Totals()
                t.add(row[1:])
                out.append((row[0], t))
        return out

    @staticmethod
    def _filter_sql(start_us: int, end_us: int, filters: dict[str, str] | None) -> tuple[str, list[Any]]:
        clauses = ["ts_us >= ?", "ts_us < ?"]
        params: list[Any] = [start_us, end_us]
        for column, value in (filters or {}).items():
            if column not in _FILTERABLE:
                raise ValueError(f"cannot filter on {column!r}")
            if column == "model":
                clauses.append("(model = ? OR priced_model = ?)")
                params += [value, value]
            else:
                clauses.append(f"{column} = ?")
                params.append(value)
        return " AND ".join(clauses), params


_FILTERABLE = {"agent_type", "project_id", "session_id", "model", "complexity", "source", "priced"}
_GROUPABLE = {
    "agent_type",
    "project_id",
    "session_id",
    "COALESCE(priced_model, model)",
    "complexity",
    "agent_type || '|' || COALESCE(priced_model, model) || '|' || COALESCE(complexity, '')",
}
