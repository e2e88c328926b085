"""Keeping CPython's cyclic garbage collector off the objects that existed before a bulk call."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_froze = False


def _refreeze() -> None:
    with _lock:
        if _froze:
            gc.freeze()


def _nothing() -> None:
    pass


@contextmanager
def frozen_heap() -> Iterator[Callable[[], None]]:
    """Move every object tracked so far out of the collector's reach while the block runs (`gc.freeze`),
    and back at its end (`gc.unfreeze`).

    Entered by `core.store.bulk.BulkInsert`. A bulk call allocates a few objects a record, and each
    time enough of them survive, a full collection walks the whole heap, the caller's input included
    (the benchmark holds 50,000 usage dicts a round): 8-20% of `track_many`'s time on the 1M-record
    benchmark, measured by alternating rounds with and without this in one process. Objects made
    during the block are collected as usual; garbage among the frozen ones waits for the block's end.
    Nothing is done when the process froze objects itself (`gc.get_freeze_count()`) or its collector
    is off; blocks in several threads share one freeze, undone by the last to end.

    The block gets a function that freezes what was made since (`BulkInsert` calls it with each chunk):
    the collector then never walks those objects either, while they are freed as usual when let go.
    """
    global _depth, _froze
    with _lock:
        if _depth == 0:
            _froze = gc.isenabled() and gc.get_freeze_count() == 0
            if _froze:
                gc.freeze()
        _depth += 1
    try:
        yield _refreeze if _froze else _nothing
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _froze:
                _froze = False
                gc.unfreeze()


_paused = 0
_resume = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector off while the block runs, back on at its end (if it was on before the first
    of nested or concurrent blocks). Objects are still freed as their last reference goes; only cyclic
    garbage waits for the end.

    For the Claude Code importer's reading loop, which receives tens of thousands of new tuples a
    second from its reader processes and keeps many of them: the collector's passes over them took
    48-58 ms of a 1.0-1.1 s first import of the 100k-line benchmark corpus (measured with
    `gc.callbacks`), on the importing process, the import's bottleneck.
    """
    global _paused, _resume
    with _lock:
        if _paused == 0:
            _resume = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _lock:
            _paused -= 1
            if _paused == 0 and _resume:
                gc.enable()
