"""The usage ledger: the only module that writes SQL.

One SQLite file shared by every process (each Claude Code session runs its own server):
- WAL, a 30 s busy timeout, and `BEGIN IMMEDIATE` for every write, so writers queue instead of
  failing with `database is locked`; readers never block.
- `usage` rows are immutable. `record_id` and `request_id` are unique: a request seen before
  (also from another process, racing) returns the stored row and adds nothing.
- `usage_totals` holds 15-minute rollups per scope ('*', 'agent:X', 'project:Y', 'model:Z'),
  maintained by a trigger in the same transaction as the insert, so they can never drift from
  the rows. Budgets and dashboards read rollups (a month is ~3,000 buckets, not ~300,000 rows);
  every IANA zone in use has an offset that is a multiple of 15 minutes, so local day, week and
  month boundaries fall on bucket edges. A window edge that does not is read from the rows.
- `usage_totals_day` sums those buckets per whole UTC day (kept by triggers on `usage_totals`):
  a window reads its whole UTC days there and only its partial days from the 15-minute buckets.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import LedgerError

if TYPE_CHECKING:
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

BUCKET_US = 15 * 60 * 1_000_000
DAY_BUCKETS = 96  # 15-minute buckets in a UTC day (usage_totals_day)
MAX_US = 2**62

# The schema is a set of sqlite-utils migrations. They are listed here in order and handed to a
# `Migrations` object only when one is pending: opening a ledger that is up to date (every process
# but the first, every hook run) reads the applied names with plain sqlite3 and never imports
# sqlite-utils (~45 ms of start-up, most of a hook's budget). `migrations` is that object, built on
# first use.
MIGRATION_SET = "model_config"
MIGRATIONS_TABLE = "_sqlite_migrations"  # sqlite_utils.migrations.Migrations.migrations_table
_MIGRATIONS: list[Callable[[Database], None]] = []


def _migration(fn: Callable[[Database], None]) -> Callable[[Database], None]:
    """Register a migration (named after its function, like `Migrations()` does) in order."""
    _MIGRATIONS.append(fn)
    return fn


_migrations_obj: Migrations | None = None


def _build_migrations() -> Migrations:
    global _migrations_obj
    if _migrations_obj is None:
        from sqlite_utils.migrations import Migrations

        built = Migrations(MIGRATION_SET)
        for fn in _MIGRATIONS:
            built()(fn)
        _migrations_obj = built
    return _migrations_obj


def __getattr__(name: str) -> Any:
    if name == "migrations":  # the sqlite-utils `Migrations` of this module, as before
        return _build_migrations()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

USAGE_COLUMNS = (
    "record_id",
    "request_id",
    "ts_us",
    "agent_type",
    "model",
    "priced_model",
    "project_id",
    "session_id",
    "task_description",
    "complexity",
    "input_tokens",
    "output_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "cache_read_tokens",
    "web_search_requests",
    "batch",
    "fast",
    "priced",
    "price_note",
    "input_cost_pico",
    "output_cost_pico",
    "cache_write_cost_pico",
    "cache_read_cost_pico",
    "web_search_cost_pico",
    "cost_pico",
    "source",
    "created_us",
)
_SUM_COLUMNS = ("input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens", "cost_pico")


@_migration
def m001_usage(db: Database) -> None:
    # One row per model call. Money in integer pico-dollars; time in UTC microseconds.
    db.execute(
        """
        CREATE TABLE usage (
            id INTEGER PRIMARY KEY,
            record_id TEXT NOT NULL UNIQUE,
            request_id TEXT UNIQUE,
            ts_us INTEGER NOT NULL,
            agent_type TEXT NOT NULL,
            model TEXT NOT NULL,
            priced_model TEXT,
            project_id TEXT,
            session_id TEXT,
            task_description TEXT,
            complexity TEXT,
            input_tokens INTEGER NOT NULL CHECK (input_tokens >= 0),
            output_tokens INTEGER NOT NULL CHECK (output_tokens >= 0),
            cache_write_tokens INTEGER NOT NULL DEFAULT 0 CHECK (cache_write_tokens >= 0),
            cache_write_1h_tokens INTEGER NOT NULL DEFAULT 0
                CHECK (cache_write_1h_tokens >= 0 AND cache_write_1h_tokens <= cache_write_tokens),
            cache_read_tokens INTEGER NOT NULL DEFAULT 0 CHECK (cache_read_tokens >= 0),
            web_search_requests INTEGER NOT NULL DEFAULT 0 CHECK (web_search_requests >= 0),
            batch INTEGER NOT NULL DEFAULT 0,
            fast INTEGER NOT NULL DEFAULT 0,
            priced INTEGER NOT NULL DEFAULT 1,
            price_note TEXT,
            input_cost_pico INTEGER NOT NULL DEFAULT 0,
            output_cost_pico INTEGER NOT NULL DEFAULT 0,
            cache_write_cost_pico INTEGER NOT NULL DEFAULT 0,
            cache_read_cost_pico INTEGER NOT NULL DEFAULT 0,
            web_search_cost_pico INTEGER NOT NULL DEFAULT 0,
            cost_pico INTEGER NOT NULL DEFAULT 0,
            source TEXT NOT NULL DEFAULT 'api',
            created_us INTEGER NOT NULL
        )
        """
    )
    # Window scans (exports, window edges, recent history).
    db.execute("CREATE INDEX usage_ts ON usage(ts_us)")
    # Per-agent analysis (efficiency, recommendations) over a window.
    db.execute("CREATE INDEX usage_agent_ts ON usage(agent_type, ts_us)")
    # Session summaries: sessions are too many to roll up.
    db.execute("CREATE INDEX usage_session_ts ON usage(session_id, ts_us)")


@_migration
def m002_totals(db: Database) -> None:
    # 15-minute rollups per scope, kept by trigger; see the module docstring.
    db.execute(
        """
        CREATE TABLE usage_totals (
            scope TEXT NOT NULL,
            bucket INTEGER NOT NULL,
            ops INTEGER NOT NULL,
            unpriced_ops INTEGER NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cache_write_tokens INTEGER NOT NULL,
            cache_read_tokens INTEGER NOT NULL,
            cost_pico INTEGER NOT NULL,
            PRIMARY KEY (scope, bucket)
        ) WITHOUT ROWID
        """
    )
    upsert = """
        INSERT INTO usage_totals VALUES (
            {scope}, NEW.ts_us / {bucket}, 1, 1 - NEW.priced, NEW.input_tokens, NEW.output_tokens,
            NEW.cache_write_tokens, NEW.cache_read_tokens, NEW.cost_pico)
        ON CONFLICT (scope, bucket) DO UPDATE SET
            ops = ops + 1,
            unpriced_ops = unpriced_ops + excluded.unpriced_ops,
            input_tokens = input_tokens + excluded.input_tokens,
            output_tokens = output_tokens + excluded.output_tokens,
            cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
            cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
            cost_pico = cost_pico + excluded.cost_pico;
    """
    project = upsert.replace("VALUES (", "SELECT ").replace(
        "NEW.cost_pico)", "NEW.cost_pico WHERE NEW.project_id IS NOT NULL"
    )
    body = "".join(
        [
            upsert.format(scope="'*'", bucket=BUCKET_US),
            upsert.format(scope="'agent:' || NEW.agent_type", bucket=BUCKET_US),
            upsert.format(scope="'model:' || COALESCE(NEW.priced_model, NEW.model)", bucket=BUCKET_US),
            project.format(scope="'project:' || NEW.project_id", bucket=BUCKET_US),
        ]
    )
    # The bulk path adds its rows' totals itself, aggregated, in the same transaction (one upsert per
    # scope and bucket instead of four per row), and pruning keeps rollups on purpose; both say so
    # through model_config_skip_totals(), a function every Ledger connection registers. A connection
    # without it cannot insert or delete: nothing can drift.
    db.execute(
        f"CREATE TRIGGER usage_totals_insert AFTER INSERT ON usage WHEN NOT model_config_skip_totals() BEGIN {body} END"
    )
    # Records are immutable: refuse updates outright rather than let rollups drift.
    db.execute(
        "CREATE TRIGGER usage_immutable BEFORE UPDATE ON usage BEGIN "
        "SELECT RAISE(ABORT, 'usage records are immutable'); END"
    )


@_migration
def m003_alerts(db: Database) -> None:
    # One row per (scope, period, window, level): lets callers tell a new alert from an old one.
    db.execute(
        """
        CREATE TABLE budget_alerts (
            scope TEXT NOT NULL,
            period TEXT NOT NULL,
            window_start_us INTEGER NOT NULL,
            level TEXT NOT NULL,
            spending_pico INTEGER NOT NULL,
            limit_pico INTEGER NOT NULL,
            created_us INTEGER NOT NULL,
            PRIMARY KEY (scope, period, window_start_us, level)
        )
        """
    )


_TOTAL_COLS = "SUM(ops), SUM(unpriced_ops), SUM(input_tokens), SUM(output_tokens), " \
    "SUM(cache_write_tokens), SUM(cache_read_tokens), SUM(cost_pico)"
# The bulk path's rollups: the new rows (id > ?1) summed once per (agent, model, project, bucket),
# then per scope from those few groups, upserted like the insert trigger does row by row. Summing
# the rows four times over (once per scope) cost 5 us a record; this costs ~3.5.
_BULK_TOTALS = f"""
    WITH g AS (  -- used four times, so SQLite materializes it once
        SELECT agent_type, COALESCE(priced_model, model) AS model, project_id, ts_us / {BUCKET_US} AS bucket,
               COUNT(*) AS ops, SUM(1 - priced) AS unpriced_ops, SUM(input_tokens) AS input_tokens,
               SUM(output_tokens) AS output_tokens, SUM(cache_write_tokens) AS cache_write_tokens,
               SUM(cache_read_tokens) AS cache_read_tokens, SUM(cost_pico) AS cost_pico
        FROM usage WHERE id > ?1 GROUP BY 1, 2, 3, 4
    )
    INSERT INTO usage_totals
    SELECT '*', bucket, {_TOTAL_COLS} FROM g WHERE true GROUP BY bucket
    UNION ALL SELECT 'agent:' || agent_type, bucket, {_TOTAL_COLS} FROM g GROUP BY agent_type, bucket
    UNION ALL SELECT 'model:' || model, bucket, {_TOTAL_COLS} FROM g GROUP BY model, bucket
    UNION ALL SELECT 'project:' || project_id, bucket, {_TOTAL_COLS} FROM g WHERE project_id IS NOT NULL
        GROUP BY project_id, bucket
    ON CONFLICT (scope, bucket) DO UPDATE SET
        ops = ops + excluded.ops,
        unpriced_ops = unpriced_ops + excluded.unpriced_ops,
        input_tokens = input_tokens + excluded.input_tokens,
        output_tokens = output_tokens + excluded.output_tokens,
        cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
        cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
        cost_pico = cost_pico + excluded.cost_pico
"""


@_migration
def m004_supersede_and_imports(db: Database) -> None:
    # A record can be superseded by a later, larger snapshot of the same request (Claude Code writes
    # streaming snapshots of one response): delete + insert in one transaction, rollups follow.
    # Pruning deletes with model_config_skip_totals() on, so rollups keep what was pruned.
    neg = f"""
        UPDATE usage_totals SET
            ops = ops - 1,
            unpriced_ops = unpriced_ops - (1 - OLD.priced),
            input_tokens = input_tokens - OLD.input_tokens,
            output_tokens = output_tokens - OLD.output_tokens,
            cache_write_tokens = cache_write_tokens - OLD.cache_write_tokens,
            cache_read_tokens = cache_read_tokens - OLD.cache_read_tokens,
            cost_pico = cost_pico - OLD.cost_pico
        WHERE bucket = OLD.ts_us / {BUCKET_US} AND scope IN (
            '*', 'agent:' || OLD.agent_type, 'model:' || COALESCE(OLD.priced_model, OLD.model),
            'project:' || OLD.project_id);
    """
    db.execute(
        f"CREATE TRIGGER usage_totals_delete AFTER DELETE ON usage WHEN NOT model_config_skip_totals() BEGIN {neg} END"
    )
    # How far each transcript file was read, so imports are incremental (see core.claude_code).
    db.execute(
        """
        CREATE TABLE import_files (
            path TEXT PRIMARY KEY,
            device INTEGER,
            inode INTEGER,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            offset INTEGER NOT NULL,
            head_hash TEXT,
            lines INTEGER NOT NULL DEFAULT 0,
            updated_us INTEGER NOT NULL
        )
        """
    )


@_migration
def m005_day_totals(db: Database) -> None:
    # Whole-UTC-day sums of the 15-minute rollups: a monthly budget check (with its three-window
    # forecast history) read ~12,000 bucket rows and took ~2 ms at 1M records; from days it reads
    # ~120. Kept by triggers on usage_totals itself, so every writer of the 15-minute rollups (the
    # usage triggers, the bulk path, older versions of this code) keeps the days equal to their sum.
    db.execute(
        """
        CREATE TABLE usage_totals_day (
            scope TEXT NOT NULL,
            day INTEGER NOT NULL,
            ops INTEGER NOT NULL,
            unpriced_ops INTEGER NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cache_write_tokens INTEGER NOT NULL,
            cache_read_tokens INTEGER NOT NULL,
            cost_pico INTEGER NOT NULL,
            PRIMARY KEY (scope, day)
        ) WITHOUT ROWID
        """
    )
    cols = ("ops", "unpriced_ops", "input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens",
            "cost_pico")
    db.execute(
        f"INSERT INTO usage_totals_day SELECT scope, bucket / {DAY_BUCKETS}, "
        f"{', '.join(f'SUM({c})' for c in cols)} FROM usage_totals GROUP BY scope, bucket / {DAY_BUCKETS}"
    )

    def add(values: str) -> str:
        return (
            f"INSERT INTO usage_totals_day VALUES (NEW.scope, NEW.bucket / {DAY_BUCKETS}, {values}) "
            f"ON CONFLICT (scope, day) DO UPDATE SET {', '.join(f'{c} = {c} + excluded.{c}' for c in cols)};"
        )

    db.execute(
        f"CREATE TRIGGER usage_totals_day_insert AFTER INSERT ON usage_totals BEGIN "
        f"{add(', '.join(f'NEW.{c}' for c in cols))} END"
    )
    db.execute(
        f"CREATE TRIGGER usage_totals_day_update AFTER UPDATE ON usage_totals BEGIN "
        f"{add(', '.join(f'NEW.{c} - OLD.{c}' for c in cols))} END"
    )
    db.execute(
        f"CREATE TRIGGER usage_totals_day_delete AFTER DELETE ON usage_totals BEGIN "
        f"UPDATE usage_totals_day SET {', '.join(f'{c} = {c} - OLD.{c}' for c in cols)} "
        f"WHERE scope = OLD.scope AND day = OLD.bucket / {DAY_BUCKETS}; END"
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

    def add(self, row: Sequence[Any]) -> None:
        self.ops += row[0] or 0
        self.unpriced_ops += row[1] or 0
        self.input_tokens += row[2] or 0
        self.output_tokens += row[3] or 0
        self.cache_write_tokens += row[4] or 0
        self.cache_read_tokens += row[5] or 0
        self.cost_pico += row[6] or 0


_RAW_COLS = "COUNT(*), SUM(1 - priced), SUM(input_tokens), SUM(output_tokens), " \
    "SUM(cache_write_tokens), SUM(cache_read_tokens), SUM(cost_pico)"
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


def _plan(start_us: int, end_us: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]], list[tuple[int, int]]]:
    """[start, end) as whole UTC days [d0, d1), then 15-minute bucket ranges, then raw time ranges."""
    b0, b1, edges = _split(start_us, end_us)
    if b0 >= b1:
        return [], [], edges
    d0 = -(-b0 // DAY_BUCKETS)
    d1 = b1 // DAY_BUCKETS
    if d0 >= d1:
        return [], [(b0, b1)], edges
    buckets = [(s, e) for s, e in ((b0, d0 * DAY_BUCKETS), (d1 * DAY_BUCKETS, b1)) if s < e]
    return [(d0, d1)], buckets, edges


@dataclass
class Ledger:
    """The SQLite ledger. One connection shared by this process's threads behind a lock."""

    path: str
    _conn: sqlite3.Connection = field(init=False, repr=False, compare=False)
    _db: Database | None = field(default=None, init=False, repr=False, compare=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)
    _skip_totals: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        memory = self.path == ":memory:"
        if not memory:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False)
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot open usage database {self.path}: {exc}") from None
        conn.execute("PRAGMA busy_timeout = 30000")
        # What wrapping the connection in a sqlite-utils Database sets, done here because the wrapper is
        # now made only when needed: every connection behaves the same, whether or not it has one.
        conn.execute("PRAGMA recursive_triggers = on")
        # A 64 MB page cache and in-memory temp tables: the usage table carries four indexes and
        # a small cache made bulk inserts thrash (measured 2x slower with the 2 MB default).
        conn.execute("PRAGMA cache_size = -65536")
        conn.execute("PRAGMA temp_store = MEMORY")
        self._skip_totals = False
        conn.create_function("model_config_skip_totals", 0, lambda: self._skip_totals)
        if not memory:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise LedgerError(f"{self.path}: could not switch to WAL journal mode (got {mode})")
        # NORMAL is durable against process crashes in WAL mode; FULL adds an fsync per commit.
        conn.execute(f"PRAGMA synchronous = {os.environ.get('MODEL_CONFIG_SYNCHRONOUS', 'NORMAL')}")
        # With NORMAL the fsyncs come with checkpoints. A single record's commit writes ~15 pages, so the
        # default 1,000-page checkpoint ran every ~65 records; at 4,000 pages (a 16 MB WAL) fewer, larger
        # checkpoints gave 12% more single inserts a second and a lower p99 on a disk shared with others.
        if not memory:
            conn.execute("PRAGMA wal_autocheckpoint = 4000")
        self._conn = conn
        self._migrate()

    @property
    def conn(self) -> sqlite3.Connection:
        return self._conn

    @property
    def db(self) -> Database:
        """The connection as a sqlite-utils `Database` (made on first use: importing sqlite-utils is slow)."""
        with self._lock:
            if self._db is None:
                from sqlite_utils import Database

                self._db = Database(self._conn, execute_plugins=False)
            return self._db

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _applied_migrations(self) -> set[str] | None:
        """Names of this module's migrations already applied, by plain sqlite3; None if that cannot be
        told without sqlite-utils (no migrations table yet, or one it cannot read)."""
        try:
            with self._lock:
                rows = self._conn.execute(
                    f"SELECT name FROM [{MIGRATIONS_TABLE}] WHERE migration_set = ?", (MIGRATION_SET,)
                ).fetchall()
        except sqlite3.Error:
            return None
        return {row[0] for row in rows}

    def _migrate(self) -> None:
        applied = self._applied_migrations()
        if applied is not None and all(fn.__name__ in applied for fn in _MIGRATIONS):
            return  # up to date: the common case, decided without importing sqlite-utils
        migrations = _build_migrations()
        if not migrations.pending(self.db):
            return
        # Several processes may open a new file at once: migrate under the write lock.
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                migrations.apply(self.db)
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the database write lock up front (no upgrade deadlocks)."""
        with self._lock:
            conn = self.conn
            for attempt in range(20):
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) and "busy" not in str(exc):
                        raise
                    time.sleep(0.05 * (attempt + 1))
            else:
                raise LedgerError(f"{self.path}: database stayed locked; no record was written")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several reads."""
        with self._lock:
            conn = self.conn
            own = not conn.in_transaction
            if own:
                conn.execute("BEGIN")
            try:
                yield conn
            finally:
                if own and conn.in_transaction:
                    conn.execute("COMMIT")

    # -- writes ----------------------------------------------------------------------------

    _INSERT = (
        f"INSERT INTO usage ({', '.join(USAGE_COLUMNS)}) VALUES ({', '.join('?' * len(USAGE_COLUMNS))}) "
        "ON CONFLICT DO NOTHING"
    )

    def insert(self, row: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Insert one record; returns (stored row, created). A known request/record id adds nothing."""
        values = [row.get(c) for c in USAGE_COLUMNS]
        with self.write() as conn:
            created = conn.execute(self._INSERT, values).rowcount == 1
            if created:
                return row, True
            existing = self._find_conflict(conn, row)
        if existing is None:  # pragma: no cover - ON CONFLICT only fires on these two keys
            raise LedgerError("insert was ignored but no conflicting record was found")
        return existing, False

    def insert_many(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert many records in one transaction; returns how many were new (others were duplicates)."""
        return self._insert_values([[r.get(c) for c in USAGE_COLUMNS] for r in rows])

    def _insert_values(self, values: Sequence[Sequence[Any]]) -> int:
        """`insert_many` for rows given as value lists in USAGE_COLUMNS order (the bulk path's own form)."""
        if not values:
            return 0
        with self.write() as conn:
            # We hold the write lock, so every row above the current max id is one of ours.
            top = conn.execute("SELECT COALESCE(MAX(id), 0) FROM usage").fetchone()[0]
            # The insert trigger costs ~4 us a row even when its WHEN clause skips it, a fifth of the
            # bulk path: drop it for this transaction and create it again, from its stored SQL, before
            # COMMIT. DDL is transactional, so no other connection ever sees the table without it
            # (a failure rolls the DROP back); they only re-prepare their statements once.
            trigger = conn.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'usage_totals_insert'"
            ).fetchone()
            if trigger is not None:
                conn.execute("DROP TRIGGER usage_totals_insert")
            inserted = conn.executemany(self._INSERT, values).rowcount
            if trigger is not None:
                conn.execute(trigger[0])
            if inserted:
                conn.execute(_BULK_TOTALS, (top,))
            return inserted

    def _find_conflict(self, conn: sqlite3.Connection, row: dict[str, Any]) -> dict[str, Any] | None:
        if row.get("request_id") is not None:
            found = self._one(conn, "request_id = ?", [row["request_id"]])
            if found:
                return found
        return self._one(conn, "record_id = ?", [row["record_id"]])

    def _one(self, conn: sqlite3.Connection, where: str, params: list[Any]) -> dict[str, Any] | None:
        cur = conn.execute(f"SELECT {', '.join(USAGE_COLUMNS)} FROM usage WHERE {where}", params)
        found = cur.fetchone()
        return dict(zip(USAGE_COLUMNS, found, strict=True)) if found else None

    def get(self, *, record_id: str | None = None, request_id: str | None = None) -> dict[str, Any] | None:
        with self.read() as conn:
            if request_id is not None:
                return self._one(conn, "request_id = ?", [request_id])
            return self._one(conn, "record_id = ?", [record_id])

    def supersede(self, old_record_id: str, row: dict[str, Any]) -> None:
        """Replace a record by a corrected version of the same request (rollups adjusted by triggers)."""
        with self.write() as conn:
            deleted = conn.execute("DELETE FROM usage WHERE record_id = ?", (old_record_id,)).rowcount
            if deleted != 1:
                raise LedgerError(f"record {old_record_id} to supersede was not found")
            conn.execute(self._INSERT.replace(" ON CONFLICT DO NOTHING", ""), [row.get(c) for c in USAGE_COLUMNS])

    # -- retention -------------------------------------------------------------------------

    def count_before(self, cutoff_us: int) -> int:
        with self.read() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM usage WHERE ts_us < ?", (cutoff_us,)).fetchone()[0])

    def prune_before(self, cutoff_us: int, *, batch: int = 20_000, progress: Any = None) -> int:
        """Delete per-request rows older than `cutoff_us`, keeping every rollup. Returns rows deleted.

        Runs in batches (each its own transaction) so other writers are never blocked for long.
        """
        deleted = 0
        while True:
            with self.write() as conn:
                self._skip_totals = True
                try:
                    n = conn.execute(
                        "DELETE FROM usage WHERE id IN (SELECT id FROM usage WHERE ts_us < ? ORDER BY ts_us LIMIT ?)",
                        (cutoff_us, batch),
                    ).rowcount
                finally:
                    self._skip_totals = False
            deleted += n
            if progress is not None:
                progress(deleted)
            if n < batch:
                return deleted

    # -- import state (incremental transcript import) ----------------------------------------

    def import_state(self, path: str) -> dict[str, Any] | None:
        with self.read() as conn:
            cur = conn.execute("SELECT * FROM import_files WHERE path = ?", (path,))
            row = cur.fetchone()
            return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None

    def save_import_state(self, state: dict[str, Any]) -> None:
        columns = ("path", "device", "inode", "size", "mtime_ns", "offset", "head_hash", "lines", "updated_us")
        with self.write() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO import_files ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                [state.get(c) for c in columns],
            )

    # -- alerts ----------------------------------------------------------------------------

    def record_alert(
        self, scope: str, period: str, window_start_us: int, level: str, spending_pico: int, limit_pico: int
    ) -> tuple[bool, int]:
        """Record an alert once; returns (new, created_us of the stored alert)."""
        now = int(time.time() * 1_000_000)
        with self.write() as conn:
            new = conn.execute(
                "INSERT OR IGNORE INTO budget_alerts VALUES (?, ?, ?, ?, ?, ?, ?)",
                (scope, period, window_start_us, level, spending_pico, limit_pico, now),
            ).rowcount == 1
            if new:
                return True, now
            created = conn.execute(
                "SELECT created_us FROM budget_alerts WHERE scope=? AND period=? AND window_start_us=? AND level=?",
                (scope, period, window_start_us, level),
            ).fetchone()[0]
        return False, created

    def known_alert_levels(self, scope: str, period: str, window_start_us: int) -> set[str]:
        with self.read() as conn:
            rows = conn.execute(
                "SELECT level FROM budget_alerts WHERE scope=? AND period=? AND window_start_us=?",
                (scope, period, window_start_us),
            ).fetchall()
        return {r[0] for r in rows}

    def alerts(self, since_us: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        with self.read() as conn:
            cur = conn.execute(
                "SELECT scope, period, window_start_us, level, spending_pico, limit_pico, created_us "
                "FROM budget_alerts WHERE created_us >= ? ORDER BY created_us DESC LIMIT ?",
                (since_us, limit),
            )
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

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
            days, buckets, edges = _plan(start_us, end_us)
            for d0, d1 in days:
                parts.append(
                    f"SELECT {i}, {_TOTAL_COLS} FROM usage_totals_day WHERE scope = ? AND day >= ? AND day < ?"
                )
                params += (scope, d0, d1)
            for b0, b1 in buckets:
                parts.append(
                    f"SELECT {i}, {_TOTAL_COLS} FROM usage_totals WHERE scope = ? AND bucket >= ? AND bucket < ?"
                )
                params += (scope, b0, b1)
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
        days, buckets, edges = _plan(start_us, end_us)
        out: dict[str, Totals] = {}
        prefix = f"{kind}:"
        with self.read() as conn:
            rows: list[Any] = []
            for d0, d1 in days:
                rows += conn.execute(
                    f"SELECT scope, {_TOTAL_COLS} FROM usage_totals_day "
                    "WHERE scope >= ? AND scope < ? AND day >= ? AND day < ? GROUP BY scope",
                    (prefix, kind + ";", d0, d1),
                ).fetchall()
            for b0, b1 in buckets:
                rows += conn.execute(
                    f"SELECT scope, {_TOTAL_COLS} FROM usage_totals "
                    "WHERE scope >= ? AND scope < ? AND bucket >= ? AND bucket < ? GROUP BY scope",
                    (prefix, kind + ";", b0, b1),
                ).fetchall()
            for s, e in edges:
                rows += conn.execute(
                    f"SELECT {_RAW_SCOPE[kind]} AS scope, {_RAW_COLS} FROM usage "
                    "WHERE ts_us >= ? AND ts_us < ? AND scope IS NOT NULL GROUP BY scope",
                    (s, e),
                ).fetchall()
        for row in rows:
            out.setdefault(row[0][len(prefix):], Totals()).add(row[1:])
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
        for row in self._rows(start_us, end_us, filters=filters, limit=limit, offset=offset,
                              newest_first=newest_first, columns=columns):
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
        for batch in self._row_batches(start_us, end_us, filters=filters, limit=limit, offset=offset,
                                       newest_first=newest_first, columns=columns):
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

    # -- claude code queries (core.claude_code: incremental transcript import) --------------

    def import_states(self) -> dict[str, dict[str, Any]]:
        """Every transcript file's import state, by path (one query instead of one per file)."""
        with self.read() as conn:
            cur = conn.execute("SELECT * FROM import_files")
            names = [d[0] for d in cur.description]
            return {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}

    def save_import_states(self, states: Sequence[dict[str, Any]]) -> None:
        """Save many files' import states in one transaction."""
        columns = ("path", "device", "inode", "size", "mtime_ns", "offset", "head_hash", "lines", "updated_us")
        if not states:
            return
        with self.write() as conn:
            conn.executemany(
                f"INSERT OR REPLACE INTO import_files ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                [[s.get(c) for c in columns] for s in states],
            )

    def replace_requests(self, replacements: Sequence[tuple[str, dict[str, Any]]]) -> tuple[int, int]:
        """Supersede many records at once: each (old request_id, new row) deletes the old record and inserts
        the row, in one transaction (rollups follow by trigger). Returns (replaced, inserted without an old
        record to replace)."""
        replaced = inserted = 0
        with self.write() as conn:
            for old_request_id, row in replacements:
                gone = conn.execute("DELETE FROM usage WHERE request_id = ?", (old_request_id,)).rowcount
                added = conn.execute(self._INSERT, [row.get(c) for c in USAGE_COLUMNS]).rowcount
                replaced += 1 if gone and added else 0
                inserted += 1 if added and not gone else 0
        return replaced, inserted

    @contextmanager
    def page_cache(self, kib: int) -> Iterator[None]:
        """Limit SQLite's page cache to `kib` KiB meanwhile (a long import stays within its memory bound)."""
        with self._lock:
            old = int(self.conn.execute("PRAGMA cache_size").fetchone()[0])
            self.conn.execute(f"PRAGMA cache_size = {-int(kib)}")
        try:
            yield
        finally:
            with self._lock:
                self.conn.execute(f"PRAGMA cache_size = {old}")

    def rows_by_request_prefix(self, prefixes: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Rows whose request_id starts with each prefix (a range scan of the unique index per prefix)."""
        out: dict[str, list[dict[str, Any]]] = {}
        sql = f"SELECT {', '.join(USAGE_COLUMNS)} FROM usage WHERE request_id >= ? AND request_id < ?"
        with self.read() as conn:
            for prefix in prefixes:
                rows = conn.execute(sql, (prefix, prefix + "\U0010ffff")).fetchall()
                out[prefix] = [dict(zip(USAGE_COLUMNS, r, strict=True)) for r in rows]
        return out


_FILTERABLE = {"agent_type", "project_id", "session_id", "model", "complexity", "source", "priced"}
_GROUPABLE = {
    "agent_type",
    "project_id",
    "session_id",
    "COALESCE(priced_model, model)",
    "complexity",
    "agent_type || '|' || COALESCE(priced_model, model) || '|' || COALESCE(complexity, '')",
}
