"""How the importer writes while it reads: on the importing thread, each chunk's commit overlapped
with what is read next (`core.store.bulk`), the files' states saved in their records' transaction;
and a fixed-size set of the message ids it dropped from memory.

Large first imports read files in forked worker processes (`reader.read_files`); the importing
process deduplicates and writes. Writing there needs no copy of the records to another process, and
a chunk's rollups and commit run without the GIL beside the next batch of reading.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..store import USAGE_COLUMNS
from .transcript import UsageLine

if TYPE_CHECKING:
    from ..store import Ledger
    from ..store.bulk import BulkInsert
    from ..tracker import CostTracker

SOURCE = "claude-code"
# Records a write transaction. Each commit writes again every index and rollup page its chunk touched (a
# chunk spans the whole corpus's time range): with 10,000 the benchmark corpus's import wrote 29 MB of WAL
# against 36 MB, and the command took 1.66 s of CPU against 1.78 s with 5,000.
CHUNK = 10_000
PAGE_CACHE_KIB = 16 * 1024  # SQLite's page cache during an import (the ledger's default is 64 MiB)
Counts = tuple[int, int, int]  # (new records, duplicates, superseded records that turned out new)
_PRICED = USAGE_COLUMNS.index("priced")


def line_rows(tracker: CostTracker, lines: Sequence[UsageLine], unknown: Counter[str]) -> list[tuple[Any, ...]]:
    """Ledger rows for transcript lines, priced; models without a price are counted in `unknown`.

    Built from the line's values as they are: `parse_line` checked every bound UsageInput checks (this
    is the import's hot path), and the ledger's CHECK constraints remain.
    """
    rows = tracker.rows_for(
        ((ln.ts_us, ln.agent_type, ln.model, ln.input_tokens, ln.output_tokens, ln.cache_write_tokens,
          ln.cache_write_1h_tokens, ln.cache_read_tokens, ln.web_search_requests, ln.project_id, ln.session_id,
          None, ln.key, False, ln.fast) for ln in lines),
        SOURCE,
    )
    for ln, values in zip(lines, rows, strict=True):
        if not values[_PRICED]:
            unknown[ln.model] += 1
    return rows


class Writer:
    """Writes the importer's decisions in order. Use as a context manager; `close` returns what was written.

    Each `write` supersedes the replaced records (one transaction), then inserts the new ones and saves
    the files' states in one more, whose commit runs on the bulk committer thread while the importer
    reads on. `drain` waits for it (before the importer reads the ledger).
    """

    def __init__(self, tracker: CostTracker, ledger: Ledger) -> None:
        self.tracker = tracker
        self.ledger = ledger
        self.bulk: BulkInsert = ledger.bulk()
        self.given = 0  # rows handed to the bulk insert
        self.fresh = 0  # replacements whose old record was already gone
        self.unknown: Counter[str] = Counter()

    def __enter__(self) -> Writer:
        self.bulk.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
                 ) -> None:
        self.bulk.__exit__(exc_type, exc, tb)

    def write(self, lines: Sequence[UsageLine], replacements: Sequence[tuple[str, UsageLine]],
              states: list[dict[str, Any]]) -> None:
        tracker, ledger = self.tracker, self.ledger
        # Rows are priced before anything waits for the commit in flight, which they then overlap.
        replaced = line_rows(tracker, [line for _, line in replacements], self.unknown) if replacements else []
        rows = line_rows(tracker, lines, self.unknown)
        if replacements:
            # First: a replaced record's request id is free again for a new line that carries it (a sidechain
            # replay stored under req_2, superseded by the main copy under req_1, then the main thread's own
            # req_2 arrives in the same batch).
            self.bulk.drain()
            pairs = [(old, dict(zip(USAGE_COLUMNS, row, strict=True)))
                     for (old, _), row in zip(replacements, replaced, strict=True)]
            self.fresh += ledger.replace_requests(pairs)[1]
        self.given += len(rows)
        # The files' states commit with their records: a file is never marked read without them.
        self.bulk.add(rows, then=(lambda conn: ledger.save_import_states(conn, states)) if states else None)

    def drain(self) -> None:
        self.bulk.drain()

    def close(self) -> tuple[Counts, Counter[str]]:
        """Wait for the last commit; (new records, duplicates, fresh replacements) and unknown models."""
        self.bulk.drain()
        new = self.bulk.inserted
        # Duplicates here were written first by another process; an old record already gone (pruned, or
        # replaced by another process) makes its replacement a new record.
        return (new + self.fresh, self.given - new, self.fresh), self.unknown


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
