"""The Ledger: connection handling, writes and reads over the schema in `schema.py`."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import LedgerError
from .schema import (
    _MIGRATIONS,
    MIGRATION_SET,
    MIGRATIONS_TABLE,
    USAGE_COLUMNS,
    _build_migrations,
)

if TYPE_CHECKING:
    from sqlite_utils import Database
from .bulk import BulkInsert
from .reads import LedgerReads


@dataclass
class Ledger(LedgerReads):
    """The SQLite ledger. One connection shared by this process's threads behind a lock."""

    path: str
    _conn: sqlite3.Connection = field(init=False, repr=False, compare=False)
    _db: Database | None = field(default=None, init=False, repr=False, compare=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False)
    _skip_totals: bool = field(default=False, init=False, repr=False)
    # Cleared while a bulk insert's commit runs on its committer thread (see `core.store.bulk`).
    _idle: threading.Event = field(default_factory=threading.Event, init=False, repr=False, compare=False)
    # Bulk inserts whose checkpoints run apart, and the auto-checkpoint size to restore after the last.
    _paused: int = field(default=0, init=False, repr=False, compare=False)
    _autocheckpoint: int = field(default=0, init=False, repr=False, compare=False)
    # Threads that finish a bulk insert's last checkpoint after the call returned (see `settle`).
    _background: list[threading.Thread] = field(default_factory=list, init=False, repr=False, compare=False)

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
            _use_wal(conn, self.path)
        # NORMAL is durable against process crashes in WAL mode; FULL adds an fsync per commit.
        conn.execute(f"PRAGMA synchronous = {os.environ.get('MODEL_CONFIG_SYNCHRONOUS', 'NORMAL')}")
        # With NORMAL the fsyncs come with checkpoints. A single record's commit writes ~15 pages, so the
        # default 1,000-page checkpoint ran every ~65 records; at 4,000 pages (a 16 MB WAL) fewer, larger
        # checkpoints gave 12% more single inserts a second and a lower p99 on a disk shared with others.
        if not memory:
            conn.execute("PRAGMA wal_autocheckpoint = 4000")
        self._conn = conn
        self._idle.set()
        self._migrate()

    @property
    def conn(self) -> sqlite3.Connection:
        """The connection, once a bulk commit in flight (which has it meanwhile) is done."""
        self._idle.wait()
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
        self.settle()
        with self._lock:
            self.conn.close()

    def settle(self) -> None:
        """Wait for the work a bulk insert left running after it returned (its last WAL checkpoint)."""
        while self._background:
            self._background.pop().join()

    def _in_background(self, thread: threading.Thread) -> None:
        self._background[:] = [t for t in self._background if t.is_alive()]
        self._background.append(thread)

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
            self._begin_immediate(conn)
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def _pause_autocheckpoint(self) -> None:
        """No auto-checkpoints on this connection until every bulk insert that asked resumes them."""
        with self._lock:
            if not self._paused:
                self._autocheckpoint = int(self.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
                self.conn.execute("PRAGMA wal_autocheckpoint = 0")
            self._paused += 1

    def _resume_autocheckpoint(self) -> None:
        with self._lock:
            self._paused -= 1
            if not self._paused:
                self.conn.execute(f"PRAGMA wal_autocheckpoint = {self._autocheckpoint}")

    def _begin_immediate(self, conn: sqlite3.Connection) -> None:
        """BEGIN IMMEDIATE, retried while another process holds the lock past the busy timeout's reach."""
        for attempt in range(20):
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise LedgerError(f"{self.path}: database stayed locked; no record was written")

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

    def bulk(self) -> BulkInsert:
        """Chunks of rows, a transaction each, each commit overlapped with the caller's next chunk
        (see `core.store.bulk`)."""
        return BulkInsert(self)

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

    # -- alerts ----------------------------------------------------------------------------

    def record_alert(
        self, scope: str, period: str, window_start_us: int, level: str, spending_pico: int, limit_pico: int
    ) -> tuple[bool, int]:
        """Record an alert once; returns (new, created_us of the stored alert)."""
        now = int(time.time() * 1_000_000)
        with self.write() as conn:
            new = (
                conn.execute(
                    "INSERT OR IGNORE INTO budget_alerts VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (scope, period, window_start_us, level, spending_pico, limit_pico, now),
                ).rowcount
                == 1
            )
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

    # -- claude code queries (core.claude_code: incremental transcript import) --------------

    def import_states(self) -> dict[str, dict[str, Any]]:
        """Every transcript file's import state, by path (one query instead of one per file)."""
        with self.read() as conn:
            cur = conn.execute("SELECT * FROM import_files")
            names = [d[0] for d in cur.description]
            return {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}

    def save_import_states(self, conn: sqlite3.Connection, states: Sequence[dict[str, Any]]) -> None:
        """Save files' import states inside the caller's transaction (a bulk insert's, with their records)."""
        columns = ("path", "device", "inode", "size", "mtime_ns", "offset", "head_hash", "lines", "updated_us")
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


def _use_wal(conn: sqlite3.Connection, path: str) -> None:
    """Switch the file to WAL (persistent: only its first opener really does it).

    Switching needs an exclusive lock and SQLite reports `database is locked` at once, without the
    busy handler, while another process is creating or migrating the same new file: wait and retry.
    """
    deadline = time.monotonic() + 30.0
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
                return
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                raise LedgerError(f"cannot open usage database {path}: {exc}") from None
            time.sleep(0.02)
            continue
        if mode.lower() != "wal":
            raise LedgerError(f"{path}: could not switch to WAL journal mode (got {mode})")
        return
