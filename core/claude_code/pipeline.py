"""How the importer writes while it reads: a writer thread (SQLite works without the GIL) or, for a
large import from a single-threaded process (the CLI), a writer process with its own connection; and
a fixed-size set of the message ids it dropped from memory.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import LedgerError
from ..usage import UsageInput
from .transcript import UsageLine

if TYPE_CHECKING:
    from ..manager import ModelConfigManager
    from ..store import Ledger
    from ..tracker import CostTracker

SOURCE = "claude-code"
CHUNK = 5000  # records a write transaction
PAGE_CACHE_KIB = 16 * 1024  # SQLite's page cache during an import (the ledger's default is 64 MiB)
Counts = tuple[int, int, int]  # (new records, duplicates, superseded records that turned out new)


def apply_writes(tracker: CostTracker, ledger: Ledger, lines: Sequence[UsageLine],
                 replacements: Sequence[tuple[str, UsageLine]], states: list[dict[str, Any]],
                 unknown: Counter[str]) -> Counts:
    """Insert new records, supersede replaced ones, then save the files' states (after their records).

    Models without a price are counted in `unknown` (the resolution the rows get, cached per model and
    day: a hook whose prices are in the price cache never loads the catalogue).
    """
    prices = tracker.prices
    for line in lines:
        if prices.resolve(prices.canonical_id(line.model), line.timestamp, fast=line.fast) is None:
            unknown[line.model] += 1
    # Replacements first: a replaced record's request id is free again for a new line that carries it
    # (a sidechain replay stored under req_2, superseded by the main copy under req_1, then the main
    # thread's own req_2 arrives in the same batch).
    fresh = 0
    if replacements:
        pairs = [(old_key, tracker.build_row(usage_of(line), source=SOURCE)) for old_key, line in replacements]
        _, fresh = ledger.replace_requests(pairs)
    new, duplicates = tracker.track_many([usage_of(line) for line in lines], source=SOURCE, chunk=CHUNK)
    ledger.save_import_states(states)
    # Duplicates here were written first by another process; an old record already gone (pruned, or
    # replaced by another process) makes its replacement a new record.
    return new + fresh, duplicates, fresh


def usage_of(line: UsageLine) -> UsageInput:
    """The usage of a line, built without validating again: `parse_line` checked every bound UsageInput
    checks (this is the import's hot path), and the ledger's CHECK constraints remain."""
    return _construct(
        agent_type=line.agent_type,
        model_type=line.model,
        input_tokens=line.input_tokens,
        output_tokens=line.output_tokens,
        project_id=line.project_id,
        session_id=line.session_id,
        task_description=None,
        cache_creation_input_tokens=line.cache_write_tokens,
        cache_creation_5m_input_tokens=line.cache_write_tokens - line.cache_write_1h_tokens,
        cache_creation_1h_input_tokens=line.cache_write_1h_tokens,
        cache_read_input_tokens=line.cache_read_tokens,
        web_search_requests=line.web_search_requests,
        request_id=line.key,
        timestamp=line.timestamp,
        batch=False,
        fast_mode=line.fast,
    )


_USAGE_FIELDS = frozenset(UsageInput.model_fields)
_set = object.__setattr__


def _construct(**values: Any) -> UsageInput:
    """`UsageInput.model_construct` for values that set every field, without its per-field Python loop
    (which cost more than the rest of writing a record). tests/claude_code check both build equal models."""
    usage = UsageInput.__new__(UsageInput)
    _set(usage, "__dict__", values)
    _set(usage, "__pydantic_fields_set__", _USAGE_FIELDS)
    _set(usage, "__pydantic_extra__", None)
    _set(usage, "__pydantic_private__", None)
    return usage


def can_fork() -> bool:
    """Worker processes are forked, which is only safe from a single-threaded process (not a server).

    `MODEL_CONFIG_IMPORT_WORKERS=0` keeps every import in one process.
    """
    if os.environ.get("MODEL_CONFIG_IMPORT_WORKERS", "").strip() == "0":
        return False
    return threading.active_count() == 1 and sys.platform.startswith("linux") and (os.cpu_count() or 1) > 1


class ThreadWriter:
    """Writes in order on one background thread; `drain` waits for it and re-raises a failure."""

    def __init__(self, tracker: CostTracker, ledger: Ledger) -> None:
        self.tracker = tracker
        self.ledger = ledger
        self.jobs: queue.Queue[Callable[[], None] | None] = queue.Queue(maxsize=1)  # bounds memory
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None
        self.counts: Counts = (0, 0, 0)
        self.unknown: Counter[str] = Counter()

    def write(self, lines: Sequence[UsageLine], replacements: Sequence[tuple[str, UsageLine]],
              states: list[dict[str, Any]]) -> None:
        self._raise()
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="claude-code-import-writer", daemon=True)
            self.thread.start()
        self.jobs.put(lambda: self._apply(lines, replacements, states))

    def _apply(self, lines: Sequence[UsageLine], replacements: Sequence[tuple[str, UsageLine]],
               states: list[dict[str, Any]]) -> None:
        n = apply_writes(self.tracker, self.ledger, lines, replacements, states, self.unknown)
        self.counts = (self.counts[0] + n[0], self.counts[1] + n[1], self.counts[2] + n[2])

    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            try:
                if job is None:
                    return
                if self.error is None:
                    job()
            except BaseException as exc:  # handed to the importing thread by drain()
                self.error = exc
            finally:
                self.jobs.task_done()

    def drain(self) -> None:
        if self.thread is not None:
            self.jobs.join()
        self._raise()

    def close(self) -> tuple[Counts, Counter[str]]:
        if self.thread is not None:
            self.jobs.put(None)
            self.thread.join()
            self.thread = None
        self._raise()
        return self.counts, self.unknown

    def abort(self) -> None:
        if self.thread is not None:
            self.jobs.put(None)
            self.thread.join()
            self.thread = None

    def _raise(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error


class ProcessWriter:
    """Writes in order in a forked process with its own connection to the ledger, so writing never waits
    for this process's GIL. Same interface as ThreadWriter; a failure comes back as LedgerError."""

    def __init__(self, manager: ModelConfigManager) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        self.jobs: Any = ctx.Queue(maxsize=2)
        self.replies: Any = ctx.Queue()
        self.process = ctx.Process(target=_writer_main, args=(manager, self.jobs, self.replies),
                                   name="claude-code-import-writer", daemon=True)
        self.process.start()

    def write(self, lines: Sequence[UsageLine], replacements: Sequence[tuple[str, UsageLine]],
              states: list[dict[str, Any]]) -> None:
        self.jobs.put(("write", list(lines), list(replacements), states))

    def drain(self) -> None:
        self.jobs.put(("drain",))
        _, error = self._reply()
        if error:
            raise LedgerError(f"writing imported records failed: {error}")

    def close(self) -> tuple[Counts, Counter[str]]:
        self.jobs.put(("close",))
        _, counts, unknown, error = self._reply()
        self.process.join()
        if error:
            raise LedgerError(f"writing imported records failed: {error}")
        return counts, unknown

    def abort(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
        self.process.join()

    def _reply(self) -> tuple[Any, ...]:
        while True:
            try:
                reply: tuple[Any, ...] = self.replies.get(timeout=1.0)
                return reply
            except queue.Empty:
                if not self.process.is_alive():
                    raise LedgerError("the process writing imported records stopped unexpectedly") from None


def _writer_main(manager: ModelConfigManager, jobs: Any, replies: Any) -> None:
    """(Writer process.) Its own connection; the price book and settings come with the fork."""
    from ..store import Ledger
    from ..tracker import CostTracker

    ledger = Ledger(manager.db_path)
    tracker = CostTracker(settings=manager.settings, ledger=ledger, price_book=manager.price_book)
    manager.price_book.is_known("claude-sonnet-4-5")  # load the catalogue now, while the files are read
    try:
        with ledger.page_cache(PAGE_CACHE_KIB):
            _serve(tracker, ledger, jobs, replies)
    finally:
        ledger.close()


def _serve(tracker: CostTracker, ledger: Ledger, jobs: Any, replies: Any) -> None:
    counts = [0, 0, 0]
    unknown: Counter[str] = Counter()
    error: str | None = None
    while True:
        job = jobs.get()
        if job[0] == "write":
            if error is None:
                try:
                    n = apply_writes(tracker, ledger, job[1], job[2], job[3], unknown)
                    counts = [a + b for a, b in zip(counts, n, strict=True)]
                except Exception as exc:  # reported to the importer on its next drain or close
                    error = f"{type(exc).__name__}: {exc}"
        elif job[0] == "drain":
            replies.put(("drained", error))
        else:
            replies.put(("closed", tuple(counts), unknown, error))
            return


class Bloom:
    """A fixed-size set of hashes that may answer "maybe" for one never added (then a lookup is wasted).

    4 MB and three probes: about one false "maybe" in 180,000 with 200,000 message ids in it.
    """

    BITS = 1 << 25

    def __init__(self) -> None:
        self.bits = bytearray(self.BITS // 8)
        self.empty = True

    def _probes(self, h: int) -> list[int]:
        mask = self.BITS - 1
        first, step = h & mask, ((h >> 25) & mask) | 1
        return [(first + i * step) & mask for i in range(3)]

    def add(self, h: int) -> None:
        self.empty = False
        for p in self._probes(h):
            self.bits[p >> 3] |= 1 << (p & 7)

    def __contains__(self, h: int) -> bool:
        if self.empty:
            return False
        return all(self.bits[p >> 3] & (1 << (p & 7)) for p in self._probes(h))
