"""The bulk insert path: many records a transaction, with the end of each transaction overlapped with
the caller's work on the next chunk.

A chunk's transaction has two halves. The rows' INSERT binds Python values row by row, so it runs on
the caller's thread. What follows (the rollups' one INSERT ... SELECT, then COMMIT) is a few long
SQLite calls that do not hold the GIL: a committer thread runs them while the caller validates and
prices the next chunk. WAL checkpoints move to a connection and thread of their own (`Checkpointer`).

While a commit is in flight the ledger is marked busy (`Ledger._idle` cleared): every other use of
its connection, from any thread, waits for the commit first (`Ledger.conn`), so nothing ever runs on
the connection beside it and the ledger's lock is held only while rows are inserted.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

from ..errors import LedgerError
from ..heap import frozen_heap
from .reads import _TOTAL_COLS
from .schema import BUCKET_US

if TYPE_CHECKING:
    from .ledger import Ledger

# The rollups of the new rows (id > ?1), summed once per (agent, model, project, bucket), then per
# scope from those few groups, upserted as the insert trigger does row by row. Summing the rows four
# times over (once per scope) cost 5 us a record; this costs ~3.
BULK_TOTALS = f"""
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

CHECKPOINT_APART_MIN = 2000  # rows in a chunk for which checkpoints move to a thread of their own


class BulkInsert:
    """Insert chunks of rows (value lists in USAGE_COLUMNS order), one transaction each.

    Use as a context manager. `add` returns once the rows are inserted; their commit follows on the
    committer thread. `drain` waits for it; leaving the block drains. `inserted` counts the new rows
    of the committed chunks. A failed commit is raised by the next `add`, `drain` or the end of the
    block, and nothing after it is written.
    """

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.inserted = 0
        self._checkpointer: Checkpointer | None = None
        self._error: BaseException | None = None
        self._job: tuple[int, int] | None = None  # (rows inserted, max id before them) to commit
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closing = False
        self._heap: AbstractContextManager[Callable[[], None]] = nullcontext(lambda: None)
        self._refreeze: Callable[[], None] = lambda: None

    def __enter__(self) -> BulkInsert:
        # The collector is kept off what existed before the bulk insert and off each chunk handed in
        # (see core.heap): walking the caller's data cost 8-20% of track_many.
        self._heap = frozen_heap()
        self._refreeze = self._heap.__enter__()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            self.drain()
        finally:
            self._stop()
            if self._checkpointer is not None:
                self._checkpointer.close()
                self._checkpointer = None
            self._heap.__exit__(exc_type, exc, tb)

    def add(self, values: Sequence[Sequence[Any]], then: Callable[[sqlite3.Connection], None] | None = None) -> None:
        """Insert `values` in a new transaction (duplicates of stored records are skipped), run `then` in
        the same transaction (it commits or fails with the rows), and hand the commit to the committer."""
        self.drain()
        if not values and then is None:
            return
        self._refreeze()  # these rows and what was made for them: freed as usual, never walked
        ledger = self.ledger
        if self._checkpointer is None and len(values) >= CHECKPOINT_APART_MIN and ledger.path != ":memory:":
            self._checkpointer = Checkpointer(ledger)
        with ledger._lock:
            conn = ledger.conn  # waits for any commit in flight
            ledger._begin_immediate(conn)
            try:
                # We hold the write lock, so every row above the current max id is one of ours.
                top = conn.execute("SELECT COALESCE(MAX(id), 0) FROM usage").fetchone()[0]
                # The insert trigger costs ~4 us a row even when its WHEN clause skips it: drop it for this
                # transaction and create it again, from its stored SQL, before COMMIT. DDL is transactional,
                # so no other connection ever sees the table without it (a failure rolls the DROP back).
                trigger = conn.execute(
                    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'usage_totals_insert'"
                ).fetchone()
                if trigger is not None:
                    conn.execute("DROP TRIGGER usage_totals_insert")
                inserted = conn.executemany(ledger._INSERT, values).rowcount if values else 0
                if trigger is not None:
                    conn.execute(trigger[0])
                if then is not None:
                    then(conn)
            except BaseException as exc:
                if conn.in_transaction:  # SQLite may have rolled back already (a full disk, say)
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise LedgerError(f"{ledger.path}: writing records failed: {exc}") from exc
                raise
            ledger._idle.clear()  # until the committer is done, the connection is its alone
            try:
                self._submit(inserted, top)
            except BaseException:  # no committer (a thread could not start): undo, let others in
                conn.execute("ROLLBACK")
                ledger._idle.set()
                raise

    def drain(self) -> None:
        """Wait for the commit in flight; raise its failure."""
        if self._thread is not None:
            with self._wake:
                while self._job is not None:
                    self._wake.wait()
            self.ledger._idle.wait()
        if self._error is not None:
            error, self._error = self._error, None
            if isinstance(error, sqlite3.Error):
                raise LedgerError(f"{self.ledger.path}: writing records failed: {error}") from error
            raise error

    # -- the committer thread ------------------------------------------------------------------

    def _finish(self, inserted: int, top: int) -> None:
        conn = self.ledger._conn
        try:
            if inserted:
                conn.execute(BULK_TOTALS, (top,))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self.inserted += inserted
        if self._checkpointer is not None:
            self._checkpointer.poke()

    def _submit(self, inserted: int, top: int) -> None:
        if self._thread is None:
            thread = threading.Thread(target=self._run, name="model-config-bulk-commit", daemon=True)
            thread.start()
            self._thread = thread
        with self._wake:
            self._job = (inserted, top)
            self._wake.notify_all()

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._job is None and not self._closing:
                    self._wake.wait()
                if self._job is None:
                    return
                job = self._job
            try:
                self._finish(*job)
            except BaseException as exc:  # raised on the owner's thread by drain()
                self._error = exc
            finally:
                with self._wake:
                    self._job = None
                    self.ledger._idle.set()
                    self._wake.notify_all()

    def _stop(self) -> None:
        if self._thread is not None:
            with self._wake:
                self._closing = True
                self._wake.notify_all()
            self._thread.join()
            self._thread = None


class Checkpointer:
    """WAL checkpoints on a connection and thread of their own while a bulk insert runs.

    A commit that crosses the WAL's auto-checkpoint size copies the WAL into the database file itself
    (measured on the 1M-record ledger with 20,000- and 50,000-record chunks: over half of COMMIT's
    time). With auto-checkpoints off for the bulk connection, a PASSIVE checkpoint here copies what was
    committed while the next chunk is inserted (WAL mode lets both run at once). `close` runs a last
    one: the bulk call returns once its last chunk is committed, while that checkpoint copies the rest of
    its WAL (measured: 6% of a 50,000-record `track_many` when it waited for it). The thread closes its
    connection when done; `Ledger.close` and `Ledger.settle` wait for it.
    """

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.conn = sqlite3.connect(ledger.path, timeout=30.0, check_same_thread=False)
        self.conn.execute("PRAGMA busy_timeout = 30000")
        ledger._pause_autocheckpoint()
        self._wake = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="model-config-checkpoint", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            closing = self._closing
            try:
                self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error:
                pass  # a checkpoint is an optimisation: a later one (or the next writer's) does the work
            if closing:
                self.conn.close()
                return

    def close(self) -> None:
        """Auto-checkpoints back on; the last checkpoint runs on, in the background."""
        self.ledger._resume_autocheckpoint()
        self._closing = True
        self._wake.set()
        self.ledger._in_background(self._thread)
