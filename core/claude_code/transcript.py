"""Claude Code usage entries, and which copy of a request to keep (reading a line: `lines`).

Deduplication follows what ccusage converged on. The key is `message.id:requestId` (or
`message.id` alone); a sidechain line that replays a parent message under a new request id (same
message id; see `is_replay`) is a copy of it too. Among copies we keep the non-sidechain one,
else the larger token total (the final streamed snapshot); the remaining ties are broken by fixed
rules (earlier timestamp, then a named agent type, then the smaller values) so that the kept copy
does not depend on the order lines were read in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from ..windows import from_us

MAIN_AGENT = "main"
GENERIC_SUBAGENT = "subagent"
_ANTHROPIC_ID = re.compile(r"msg_[A-Za-z0-9_-]{1,64}")


class Skip(str):
    """Why a line produced no usage entry."""


NOT_USAGE = Skip("not usage")  # no usage object: user, system, summary, ... lines
SYNTHETIC = Skip("synthetic")  # `<synthetic>` placeholders and API-error lines
MALFORMED = Skip("malformed")  # not JSON, or a usage object that makes no sense


class UsageLine(msgspec.Struct, frozen=True, gc=False, array_like=True):
    """One usage entry (a request's, or one of its advisor calls') as a transcript line reports it.

    A msgspec struct: made in C (a NamedTuple's Python `__new__` cost 4x as much), and sent from the
    reader processes as MessagePack (`reader._encode_entries`; see there for what pickle cost)."""

    key: str
    message_id: str | None
    session_id: str
    ts_us: int
    model: str
    input_tokens: int
    output_tokens: int
    cache_write_tokens: int
    cache_write_1h_tokens: int
    cache_read_tokens: int
    web_search_requests: int
    fast: bool
    sidechain: bool
    agent_type: str
    project_id: str | None

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_write_tokens + self.cache_read_tokens

    @property
    def timestamp(self) -> datetime:
        return from_us(self.ts_us)


@dataclass(slots=True)
class Kept:
    """A stored copy looked up in the ledger, with what the ranking needs (this run's copies are kept as
    their `UsageLine`)."""

    key: str
    message_id: str | None
    session_id: str | None
    ts_us: int
    total: int
    sidechain: bool
    agent_type: str
    project_id: str | None
    model: str
    cache_write_1h_tokens: int
    fast: bool
    web_search_requests: int
    foreign: bool = False  # recorded by another source (track_usage): never replaced

    @classmethod
    def from_row(cls, row: dict[str, Any], source: str) -> Kept:
        key = row["request_id"]
        total = row["input_tokens"] + row["output_tokens"] + row["cache_write_tokens"] + row["cache_read_tokens"]
        return cls(key, message_id_of(key), row["session_id"], row["ts_us"], total, row["agent_type"] != MAIN_AGENT,
                   row["agent_type"], row["project_id"], row["model"], row["cache_write_1h_tokens"], bool(row["fast"]),
                   row["web_search_requests"], foreign=row["source"] != source)


def message_id_of(key: str) -> str | None:
    if key.startswith("line:"):
        return None
    return key.split(":", 1)[0]


def better(new: UsageLine | Kept, old: UsageLine | Kept) -> bool:
    """True when `new` should replace `old` as the kept copy of one request."""
    if new.sidechain != old.sidechain:
        return old.sidechain
    if new.total != old.total:
        return new.total > old.total
    if new.ts_us != old.ts_us:
        return new.ts_us < old.ts_us
    new_named = new.agent_type != GENERIC_SUBAGENT
    if new_named != (old.agent_type != GENERIC_SUBAGENT):
        return new_named
    return _tie(new) < _tie(old)


def _tie(x: UsageLine | Kept) -> tuple[Any, ...]:
    return (x.session_id or "", x.project_id or "", x.agent_type, x.model, x.cache_write_1h_tokens, x.fast,
            x.web_search_requests, x.key)


def is_replay(new: UsageLine, old: UsageLine | Kept) -> bool:
    """A sidechain copy of a parent message under another request id.

    Anthropic message ids (`msg_...`) are unique, so a replay matches in any session (the kept
    copy may come from a resumed session's file); other ids (gateways reuse them) only within
    the same session.
    """
    if new.message_id is None or new.message_id != old.message_id or not (new.sidechain or old.sidechain):
        return False
    return new.session_id == old.session_id or _ANTHROPIC_ID.fullmatch(new.message_id) is not None
