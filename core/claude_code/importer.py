"""Import Claude Code's own usage records (its transcripts) into the ledger, incrementally.

Each file's import state (how far it was read, its identity and the hash of its head) lives in the
ledger, so a run reads only what was appended since the last one; a replaced or truncated file is
read again from the start, which is safe because every record carries its dedupe key as
`request_id`. Only complete lines are consumed: a line still being written is read next time.

Within a run the copies of one request are resolved in memory (see `transcript.better`); a copy
that beats one stored by an earlier run supersedes it (one transaction, rollups follow), so any
sequence of appends and imports leaves the same ledger as one import at the end.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from ..heap import collector_paused
from ..windows import local_midnight, to_us
from . import discovery
from .pipeline import CHUNK, PAGE_CACHE_KIB, SOURCE, Bloom, Writer
from .reader import FileTask, _head_length, head_hash, read_files
from .transcript import Kept, UsageLine, better, is_replay, message_id_of

if TYPE_CHECKING:
    from ..manager import ModelConfigManager

KEEP_IN_MEMORY = 50_000  # copies kept in memory for dedupe (~0.4 KB each with their indexes: ~20 MB)


class ImportSummary(BaseModel):
    """What one import run found and did."""

    files: int = Field(default=0, description="Transcript files found")
    files_read: int = Field(default=0, description="Files with something new to read")
    files_restarted: int = Field(default=0, description="Files replaced or truncated since the last run: read again")
    lines: int = Field(default=0, description="Complete lines read")
    usage_lines: int = Field(default=0, description="Lines that carried usage")
    new_records: int = 0
    duplicates_skipped: int = Field(default=0, description="Usage lines that were copies of a request already kept")
    superseded: int = Field(default=0, description="Stored records replaced by a better copy of their request")
    malformed_lines: int = 0
    synthetic_lines: int = Field(default=0, description="`<synthetic>` placeholders and API errors: not usage")
    skipped_before_since: int = 0
    unknown_models: dict[str, int] = Field(default_factory=dict, description="Model -> new records recorded unpriced")
    errors: list[str] = Field(default_factory=list, description="Paths not found, and files that could not be read")
    roots: list[str] = Field(default_factory=list, description="Where transcripts were looked for")
    since: date | None = None
    elapsed_seconds: float = 0.0

    def line(self) -> str:
        unknown = ", ".join(f"{m} ({n})" for m, n in sorted(self.unknown_models.items())) or "none"
        return (
            f"{self.files} files ({self.files_read} with new data), {self.lines:,} lines, "
            f"{self.new_records:,} new records, {self.duplicates_skipped:,} duplicates skipped, "
            f"{self.superseded:,} superseded, {self.malformed_lines:,} malformed lines, "
            f"unknown models: {unknown} ({self.elapsed_seconds:.2f} s)"
        )


@dataclass(frozen=True)
class ImportProgress:
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int


def default_roots(manager: ModelConfigManager) -> list[str]:
    configured = list(manager.settings.cost.claude_code.paths)
    if configured:
        return [os.path.expanduser(p) for p in configured]
    return [str(d) for d in discovery.config_dirs()]


def import_claude_code(
    manager: ModelConfigManager,
    paths: list[str] | None = None,
    since: date | None = None,
    progress: Callable[[ImportProgress], None] | None = None,
    *,
    agent_types: dict[str, str] | None = None,
) -> ImportSummary:
    """Import new usage from Claude Code transcripts under `paths` (default: where Claude Code keeps them).

    `since` limits this run to records from that local date on (files are then read again next
    time, so nothing older is lost). `agent_types` maps a subagent transcript's path to its type
    when its meta file is missing (the SubagentStop hook knows it).
    """
    started = time.perf_counter()
    roots = [str(p) for p in paths] if paths else default_roots(manager)
    summary = ImportSummary(roots=roots, since=since)
    # A path given (or configured) that is not there is reported, not skipped in silence. The default
    # roots are the config directories that exist.
    summary.errors.extend(f"{root}: no such file or directory" for root in roots
                          if not os.path.exists(os.path.expanduser(root)))
    files = discovery.transcript_files(roots)
    summary.files = len(files)
    run = _Run(manager, summary, since, agent_types or {})
    with manager.ledger.page_cache(PAGE_CACHE_KIB):
        run.read_all(files, progress)
    summary.elapsed_seconds = round(time.perf_counter() - started, 4)
    return summary


class _Run:
    def __init__(self, manager: ModelConfigManager, summary: ImportSummary, since: date | None,
                 agent_types: dict[str, str]) -> None:
        self.manager = manager
        self.ledger = manager.ledger
        self.tracker = manager.cost_tracker
        self.summary = summary
        self.agent_types = {os.path.realpath(k): v for k, v in agent_types.items()}  # canonical, as discovery
        self.since_us = to_us(local_midnight(since, manager.settings.zone)) if since else None
        self.now_us = time.time_ns() // 1000
        # Copies kept so far, by key and by message id: this run's as the lines themselves (written once
        # they leave `pending` and `replacing`; building a record for each cost 35 ms of a 1 s import),
        # the stored ones looked up as `Kept`. Bounded: beyond KEEP_IN_MEMORY the oldest written ones are
        # dropped, remembered only in a Bloom filter of their message ids (`evicted`, fixed size), so a
        # later copy of them is looked up in the ledger.
        self.kept: dict[str, UsageLine | Kept] = {}
        self.by_message: dict[str, str | list[str]] = {}
        self.loaded: set[int] = set()  # message ids whose stored copies are in `kept`
        self.evicted = Bloom()
        # A fresh ledger holds nothing to compare with: skip the per-message lookups.
        self.check_ledger = self.ledger.totals("*").ops > 0
        self.pending: dict[str, UsageLine] = {}  # key -> copy to insert
        # Key of a copy that supersedes a stored record -> (that record's request id, the copy).
        self.replacing: dict[str, tuple[str, UsageLine]] = {}
        self.duplicates = 0  # counted here in the hot path, added to the summary at each flush
        self.superseded = 0
        # Each chunk of records commits while the next files are parsed (see pipeline.Writer); anything
        # that reads the ledger waits for it.
        self.writer = Writer(self.tracker, self.ledger)
        self.states_to_save: list[dict[str, Any]] = []

    # -- files ---------------------------------------------------------------------------

    def read_all(self, files: list[Path], progress: Callable[[ImportProgress], None] | None) -> None:
        states = self.ledger.import_states()
        tasks: list[FileTask] = []
        for path in files:
            try:
                st = path.stat()
            except OSError as exc:
                self.summary.errors.append(f"{path}: {exc.strerror}")
                continue
            if self.since_us is not None and st.st_mtime_ns // 1000 < self.since_us:
                continue  # last written before `since`: nothing in it can be recent enough
            state = states.get(str(path))
            start = self._start_offset(path, st, state)
            if start is None:
                continue
            if state is not None and start == 0:
                self.summary.files_restarted += 1
            tasks.append(FileTask(
                path=str(path), start=start, lines=state["lines"] if state is not None and start else 0,
                head_hash=state["head_hash"] if state is not None and start else None,
                agent_type=self.agent_types.get(str(path)) if self.agent_types else None, now_us=self.now_us,
                since_us=self.since_us, device=st.st_dev, inode=st.st_ino, size=st.st_size, mtime_ns=st.st_mtime_ns,
            ))
        total = sum(t.size - t.start for t in tasks)
        with collector_paused(), self.writer:
            self._read_tasks(tasks, total, progress)
        if self.summary.new_records or self.summary.superseded:
            # Budget alerts crossed by what was imported are recorded once, as track_usage does.
            self.manager.budget_manager.check_all(forecast=False)

    def _read_tasks(self, tasks: list[FileTask], total: int, progress: Callable[[ImportProgress], None] | None
                    ) -> None:
        done = 0
        summary = self.summary
        summary.files_read = len(tasks)
        # Counted here, into the summary at the end: a pydantic model's attribute is slow to update.
        lines = usage_lines = duplicates = malformed = synthetic = before_since = 0
        offer = self.offer
        # The price catalogue takes 0.06-0.3 s to load: load it while worker processes read the first files.
        for n, result in enumerate(read_files(tasks, meanwhile=self._load_prices)):
            for entry in result.entries:
                offer(entry)
            lines += result.read
            usage_lines += result.usage_lines
            duplicates += result.duplicates
            malformed += result.malformed
            synthetic += result.synthetic
            before_since += result.before_since
            if result.error is not None:
                summary.errors.append(result.error)
            if result.state is not None:
                self.states_to_save.append(result.state)
            done += result.task.size - result.task.start
            # A flush evicts too: also due when lookups of stored copies (which a run that only reads lines
            # stored before never writes) filled memory.
            if len(self.pending) + len(self.replacing) >= CHUNK or len(self.kept) > KEEP_IN_MEMORY:
                self.flush()
            if progress is not None:
                progress(ImportProgress(n + 1, len(tasks), done, total))
        summary.lines += lines
        summary.usage_lines += usage_lines
        summary.duplicates_skipped += duplicates
        summary.malformed_lines += malformed
        summary.synthetic_lines += synthetic
        summary.skipped_before_since += before_since
        self.finish()

    def _load_prices(self) -> None:
        self.tracker.prices.is_known("claude-sonnet-4-5")

    def _start_offset(self, path: Path, st: os.stat_result, state: dict[str, Any] | None) -> int | None:
        """Where to start reading, or None when nothing changed since the last run."""
        if state is None:
            return 0
        same_file = state["inode"] == st.st_ino and state["device"] == st.st_dev
        if same_file and state["size"] == st.st_size and state["mtime_ns"] == st.st_mtime_ns:
            return None
        if not same_file or st.st_size < state["offset"]:
            return 0  # replaced or truncated
        if head_hash(path, _head_length(state["head_hash"])) != state["head_hash"]:
            return 0  # rewritten in place
        return int(state["offset"])

    # -- dedupe --------------------------------------------------------------------------

    def offer(self, line: UsageLine) -> None:
        self._look_up(line)
        key, message_id = line.key, line.message_id
        old: UsageLine | Kept | None = None
        # The usual case skips this: no copy of this request kept, nor anything with its message id.
        if key in self.kept or (message_id is not None and message_id in self.by_message):
            old = self.kept.get(key)
            if old is None and message_id is not None:
                for other in self._message_keys(message_id):
                    candidate = self.kept[other]
                    if is_replay(line, candidate):
                        old = candidate
                        break
        if old is None:
            self.pending[key] = line
            self._keep(line)
            return
        if (type(old) is Kept and old.foreign) or not better(line, old):
            self.duplicates += 1
            return
        if type(old) is UsageLine and (old.key in self.pending or old.key in self.replacing):
            # This run's copy, still waiting to be written (itself new, or replacing a stored record): swap it.
            self.duplicates += 1
            if self.pending.pop(old.key, None) is not None:
                self.pending[key] = line
            else:
                self.replacing[key] = (self.replacing.pop(old.key)[0], line)
        else:
            self.superseded += 1
            self.replacing[key] = (old.key, line)
        self._forget(old)
        self._keep(line)

    def _message_keys(self, message_id: str) -> list[str]:
        keys = self.by_message.get(message_id)
        if keys is None:
            return []
        return [keys] if isinstance(keys, str) else keys

    def _keep(self, kept: UsageLine | Kept) -> None:
        self.kept[kept.key] = kept
        mid = kept.message_id
        if mid is not None:
            keys = self.by_message.get(mid)
            if keys is None:
                self.by_message[mid] = kept.key  # most messages have one key: no list
            elif isinstance(keys, str):
                self.by_message[mid] = [keys, kept.key]
            else:
                keys.append(kept.key)

    def _forget(self, kept: UsageLine | Kept) -> None:
        self.kept.pop(kept.key, None)
        mid = kept.message_id
        if mid is not None:
            keys = self.by_message.get(mid)
            if keys == kept.key:
                del self.by_message[mid]
            elif isinstance(keys, list) and kept.key in keys:
                keys.remove(kept.key)

    def _look_up(self, line: UsageLine) -> None:
        """Bring the stored copies of this line's request into memory, when there may be some.

        That is when the ledger held anything before this run, or when this run wrote and then
        evicted (to bound memory) a copy with the same message id.
        """
        if not self.check_ledger and self.evicted.empty:
            return  # a first import with nothing evicted yet: no stored copy to look for
        prefix = line.message_id if line.message_id is not None else line.key
        h = hash(prefix)
        if not (self.check_ledger or h in self.evicted) or h in self.loaded:
            return
        self.writer.drain()
        self.loaded.add(h)
        for row in self.ledger.rows_by_request_prefix([prefix])[prefix]:
            key = row["request_id"]
            if key in self.kept or message_id_of(key) != line.message_id:
                continue
            if line.message_id is None and key != prefix:
                continue
            self._keep(Kept.from_row(row, SOURCE))

    def _evict(self) -> None:
        """Drop the oldest copies from memory (run after a flush: every one is written by then); a later copy
        of them is looked up in the ledger."""
        if len(self.kept) <= KEEP_IN_MEMORY:
            return
        excess = len(self.kept) - KEEP_IN_MEMORY // 2
        for key in list(islice(self.kept, excess)):
            kept = self.kept[key]
            self._forget(kept)
            h = hash(kept.message_id if kept.message_id is not None else kept.key)
            self.evicted.add(h)
            self.loaded.discard(h)

    # -- writes --------------------------------------------------------------------------

    def flush(self) -> None:
        """Hand what was decided to the writer; files' states are saved after their records."""
        # What leaves `pending` and `replacing` here is written before anything reads the ledger again (see
        # _look_up): from now on its copy in `kept` counts as stored.
        lines = list(self.pending.values())
        replacements = list(self.replacing.values())
        self.summary.duplicates_skipped += self.duplicates
        self.summary.superseded += self.superseded
        self.duplicates = self.superseded = 0
        states, self.states_to_save = self.states_to_save, []
        self.pending = {}
        self.replacing = {}
        if lines or replacements or states:
            self.writer.write(lines, replacements, states)
        self._evict()

    def finish(self) -> None:
        self.flush()
        (new, duplicates, fresh), unknown = self.writer.close()
        self.summary.unknown_models = dict(sorted(unknown.items()))
        self.summary.new_records += new
        self.summary.duplicates_skipped += duplicates
        self.summary.superseded -= fresh
