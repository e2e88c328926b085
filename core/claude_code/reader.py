"""Reading transcript files: complete lines from an offset, parsed into usage entries.

`read_file` is a pure function of a `FileTask` (no ledger), so a large first import can read
files in worker processes while the importing process deduplicates and writes: ccusage reads its
files in parallel too. Small reads (a hook's few new lines) stay in process.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from . import discovery
from .lines import USAGE_MARKER, FileContext, is_object_line, parse_line
from .transcript import MALFORMED, SYNTHETIC, UsageLine, better

HEAD_BYTES = 4096
PARALLEL_MIN_BYTES = 16 * 1024 * 1024  # below this, starting worker processes costs more than it saves
MAX_WORKERS = 4
BATCH_BYTES = 1024 * 1024
PIPE_BYTES = 1024 * 1024  # see _widen
READ_BUFFER_BYTES = 1024 * 1024  # see _lines


@dataclass(frozen=True)
class FileTask:
    path: str
    start: int  # byte offset to read from
    lines: int  # lines read before `start`
    head_hash: str | None  # the stored head hash when continuing a file
    agent_type: str | None  # a subagent's type given by the caller (the SubagentStop hook)
    now_us: int
    since_us: int | None
    device: int
    inode: int
    size: int
    mtime_ns: int


@dataclass
class FileResult:
    task: FileTask
    entries: list[UsageLine] = field(default_factory=list)
    read: int = 0
    usage_lines: int = 0
    duplicates: int = 0  # copies of a request already in `entries` (content blocks, snapshots)
    malformed: int = 0
    synthetic: int = 0
    before_since: int = 0
    state: dict[str, Any] | None = None  # the file's new import state; None: read it again next time
    error: str | None = None


def read_file(task: FileTask) -> FileResult:
    result = FileResult(task)
    try:
        _read(task, result)
    except OSError as exc:
        result.error = f"{task.path}: {exc.strerror or exc}"
        result.state = None
    return result


def _read(task: FileTask, result: FileResult) -> None:
    path = Path(task.path)
    info = discovery.describe(path, task.agent_type)
    projects: dict[str | None, str | None] = {}  # by cwd; None: the folder's own project, worked out once
    last_project: list[str | None] = [None]

    def project_of(cwd: str | None) -> str | None:
        if cwd is None:
            if last_project[0]:
                return last_project[0]
            if None not in projects:
                projects[None] = _clean(discovery.project_id_for(info.folder, None))
            return projects[None]
        found = projects.get(cwd)
        if found is None and cwd not in projects:
            found = projects[cwd] = _clean(discovery.project_id_for(info.folder, cwd))
        last_project[0] = found
        return found

    ctx = FileContext(session_id=info.session_id, agent_type=info.agent_type, project_of=project_of,
                      agent_type_of=info.subagent_type, now_us=task.now_us)
    since_us = task.since_us
    entries = result.entries
    # The copies of one request within a file (one line per content block, streaming snapshots) are
    # collapsed here, to the copy `better` keeps: the importer, which sees every file, gets less to do.
    index: dict[str, int] = {}
    pos = task.start
    read = malformed = synthetic = before_since = usage_lines = duplicates = 0
    head = bytearray()  # the file's first bytes, for its head hash (when read from the start)
    for raw in _lines(path, task.start):
        if raw[-1:] != b"\n" and not _complete_tail(raw):
            break  # still being written: read it next time
        if pos < HEAD_BYTES:
            head += raw[: HEAD_BYTES - pos]
        pos += len(raw)
        if USAGE_MARKER in raw:
            read += 1
            parsed = parse_line(raw, ctx)
            # A request that consulted the advisor tool gives several entries (see lines.advisor_lines).
            for entry in parsed if type(parsed) is tuple else (parsed,):
                if type(entry) is UsageLine:
                    if since_us is not None and entry.ts_us < since_us:
                        before_since += 1
                        continue
                    usage_lines += 1
                    at = index.get(entry.key)
                    if at is None:
                        index[entry.key] = len(entries)
                        entries.append(entry)
                    else:
                        duplicates += 1
                        if better(entry, entries[at]):
                            entries[at] = entry
                elif entry is MALFORMED:
                    malformed += 1
                elif entry is SYNTHETIC:
                    synthetic += 1
        elif raw and not raw.isspace():
            read += 1  # a line without usage: malformed unless it is a JSON object
            if not is_object_line(raw):
                malformed += 1
    result.read, result.malformed, result.synthetic, result.before_since = read, malformed, synthetic, before_since
    result.usage_lines, result.duplicates = usage_lines, duplicates
    if before_since:
        return  # lines were left out on purpose: read the file again next time, from where it was
    if not task.start:
        digest = f"{len(head)}:{hashlib.sha1(head).hexdigest()}"
    elif task.head_hash is not None and _head_length(task.head_hash) >= min(HEAD_BYTES, pos):
        digest = task.head_hash
    else:
        digest = head_hash(path, min(HEAD_BYTES, pos))
    result.state = {"path": task.path, "device": task.device, "inode": task.inode, "size": task.size,
                    "mtime_ns": task.mtime_ns, "offset": pos, "head_hash": digest, "lines": task.lines + read,
                    "updated_us": time.time_ns() // 1000}


def _lines(path: Path, start: int) -> Iterator[bytes]:
    """The file's lines from `start`, each with its newline (the last one may lack it).

    Through a 1 MiB buffer: with the default 8 KiB, splitting the benchmark corpus into lines took
    120-150 ms of CPU against 90 ms (transcript lines run to hundreds of KiB)."""
    with path.open("rb", buffering=READ_BUFFER_BYTES) as handle:
        handle.seek(start)
        yield from handle


def can_fork() -> bool:
    """Worker processes are forked, which is only safe from a single-threaded process: the CLI or the hook
    server, not the MCP server (which imports on a worker thread).

    `MODEL_CONFIG_IMPORT_WORKERS=0` keeps every import in one process.
    """
    if os.environ.get("MODEL_CONFIG_IMPORT_WORKERS", "").strip() == "0":
        return False
    return threading.active_count() == 1 and sys.platform.startswith("linux") and (os.cpu_count() or 1) > 1


def read_files(tasks: Sequence[FileTask], meanwhile: Callable[[], object] | None = None) -> Iterator[FileResult]:
    """Results in task order: from worker processes for a large read, else in this process. `meanwhile`
    runs once the workers have their first files, before their results are awaited."""
    try:
        wanted = int(os.environ.get("MODEL_CONFIG_IMPORT_WORKERS", MAX_WORKERS))
    except ValueError:
        wanted = MAX_WORKERS
    workers = min(wanted, os.cpu_count() or 1, len(tasks))
    total = sum(t.size - t.start for t in tasks)
    # Forked: only from a single-threaded process (see can_fork).
    if workers < 2 or total < PARALLEL_MIN_BYTES or not can_fork():
        for task in tasks:
            yield read_file(task)
        return
    yield from _read_in_workers(_batches(tasks), workers, meanwhile)


def _read_in_workers(batches: list[list[FileTask]], workers: int, meanwhile: Callable[[], object] | None
                     ) -> Iterator[FileResult]:
    """Worker k reads batches k, k + workers, ... and sends each batch's results down a pipe of its own;
    this thread receives them in batch order.

    No thread of this process touches the results: a pool's result-handler thread unpickling them
    competed for the GIL with the importer's row-by-row inserts and made them 2x slower. Memory stays
    bounded: a worker blocks on its full pipe (PIPE_BYTES) until the importer catches up.
    """
    import multiprocessing  # only here: hooks and small imports never pay for loading it

    ctx = multiprocessing.get_context("fork")
    receivers: list[Any] = []
    processes = []
    try:
        for k in range(workers):
            receiver, sender = ctx.Pipe(duplex=False)
            _widen(sender)
            # The worker closes its copies of the pipes' reading ends, its own included: when this process
            # stops early and closes them, a worker blocked on a full pipe gets an error, not a 5 s wait.
            process = ctx.Process(target=_worker, args=(batches[k::workers], sender, [*receivers, receiver]),
                                  daemon=True, name=f"claude-code-reader-{k}")
            process.start()
            sender.close()  # the worker's end: EOF here if it dies
            receivers.append(receiver)
            processes.append(process)
        if meanwhile is not None:
            meanwhile()
        for i in range(len(batches)):
            try:
                kind, payload = receivers[i % workers].recv()
            except EOFError:
                raise OSError("a transcript reader process stopped unexpectedly") from None
            if kind == "error":
                raise OSError(f"reading transcripts failed: {payload}")
            results, entries = payload
            for result, found in zip(results, _decode_entries(entries), strict=True):
                result.entries = found
                yield result
    finally:
        for receiver in receivers:
            receiver.close()
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join()


def _widen(sender: Any) -> None:
    """Let a worker run up to about 1 MiB of results ahead of the importer (Linux's default pipe holds 64 KiB).

    With the default, each worker spent about half its time blocked on a full pipe (0.53 s of 1.1 s on
    the 100k-line benchmark corpus) and the importer, behind by one batch, waited on the workers in
    turn. With 1 MiB the workers finish before the importer: `bench_import.py`'s first import went from
    1.24 s to 1.13 s in the call and from 1.51 s to 1.42 s as the CLI (one run of the script before the
    change and one after, medians of five imports each).
    """
    try:
        import fcntl

        fcntl.fcntl(sender.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError):
        pass  # not Linux, or above /proc/sys/fs/pipe-max-size: the default size only costs speed


def _worker(batches: list[list[FileTask]], sender: Any, inherited: list[Any]) -> None:
    """(Reader process.) Read batches in order, send each one's results; a failure is sent, not raised."""
    for receiver in inherited:
        receiver.close()
    # A short-lived process that makes no cycles: no collector passes, so the heap inherited from the
    # importer is never walked, nor copied on write (the importer pauses its own collector around the
    # read, so a worker also inherits it off; this does not rely on that).
    gc.disable()
    try:
        for batch in batches:
            results = read_batch(batch)
            entries = _encode_entries([result.entries for result in results])
            for result in results:
                result.entries = []
            sender.send(("ok", (results, entries)))
    except BrokenPipeError:
        pass  # the importer stopped early
    except Exception as exc:  # reported by the importer
        sender.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        sender.close()


# A batch's entries cross the pipe as MessagePack, each file's a list: encoding and decoding took 6 and 14 ms
# for the benchmark corpus's 37,700 entries, against about 45 and 36 ms pickled.
_encode_entries = msgspec.msgpack.Encoder().encode
_decode_entries = msgspec.msgpack.Decoder(list[list[UsageLine]]).decode


def read_batch(tasks: list[FileTask]) -> list[FileResult]:
    return [read_file(task) for task in tasks]


def _batches(tasks: Sequence[FileTask]) -> list[list[FileTask]]:
    """Files grouped into batches of about BATCH_BYTES (one worker round trip each)."""
    out: list[list[FileTask]] = []
    current: list[FileTask] = []
    size = 0
    for task in tasks:
        current.append(task)
        size += task.size - task.start
        if size >= BATCH_BYTES:
            out.append(current)
            current, size = [], 0
    if current:
        out.append(current)
    return out


def _clean(project: str | None) -> str | None:
    """A project id the ledger accepts (printable, at most 512 characters), or None."""
    if project is None or not 0 < len(project) <= 512 or not project.isprintable() or project != project.strip():
        return None
    return project


def _complete_tail(raw: bytes) -> bool:
    """A last line without its newline is complete when it is a whole JSON value (a torn one never is)."""
    stripped = raw.strip()
    if not stripped:
        return True
    try:
        json.loads(stripped)
    except ValueError:
        return False
    return True


def head_hash(path: Path, length: int) -> str:
    with path.open("rb") as handle:
        data = handle.read(length)
    return f"{len(data)}:{hashlib.sha1(data).hexdigest()}"


def _head_length(value: str | None) -> int:
    if not value or ":" not in value:
        return 0
    try:
        return int(value.split(":", 1)[0])
    except ValueError:
        return 0
