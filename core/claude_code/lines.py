"""Reading one Claude Code transcript line: the usage entries it gives, or why it gives none.

Claude Code's transcript format is internal and changes between versions, so every field is
optional: a line that does not parse, or whose usage is not a set of whole non-negative numbers,
is malformed (counted, never fatal). Only assistant-shaped lines carry `message.usage`; subagent
progress lines nest one under `data.message`. `<synthetic>` placeholders and API-error lines are
not usage. Which copy of a request is kept is `transcript`'s business.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
import orjson

from ..usage import FUTURE_SLACK, MAX_ID, MAX_NAME, MAX_TOKENS
from ..windows import to_us
from .transcript import MAIN_AGENT, MALFORMED, NOT_USAGE, SYNTHETIC, Skip, UsageLine

# Every usage line carries this key; a line without it is skipped before it is parsed.
USAGE_MARKER = b'"usage"'
_FUTURE_SLACK_US = FUTURE_SLACK // timedelta(microseconds=1)
_raw_decode = json.JSONDecoder().raw_decode


@dataclass(slots=True)
class FileContext:
    """What a line's file says about it: the session it belongs to, the agent, the project folder."""

    session_id: str
    agent_type: str | None  # the subagent's type for a subagent file; None for a main transcript
    project_of: Any  # callable(cwd) -> project id or None
    agent_type_of: Any  # callable(agent_id) -> subagent type (progress lines of a main transcript)
    now_us: int
    sessions: dict[str, str] = field(default_factory=dict)  # as written -> checked and interned, once a file
    models: dict[str, str] = field(default_factory=dict)  # as written -> checked and interned (see _model_name)
    # The last entry of the usual shape keyed by its message id, and what it was derived from (see
    # `parse_line`); None after any other line that reached `_entry`.
    last: tuple[tuple[Any, ...], UsageLine] | None = None


def parse_line(raw: bytes, ctx: FileContext) -> UsageLine | tuple[UsageLine | Skip, ...] | Skip:
    """Read one complete transcript line (bytes, newline optional).

    A line whose request consulted the advisor tool gives a tuple: its own usage, then one entry per
    advisor call (see `advisor_lines`), or MALFORMED for a call whose usage makes no sense.

    A line of the usual shape is decoded by msgspec into the few fields read here (its content blocks,
    most of its bytes, are skipped without building Python objects: half the time of parsing the whole
    line). Any other line (a type or value the usual shape does not allow, a progress line, a line that
    is not JSON) is read the general way, by `_parse_general`; both end in `_entry`, so a line that
    decodes either way gives the same result. A usual line that repeats the previous entry's request
    takes that entry's identity instead of going through `_entry` again (below; property tests check it
    reads the same).
    """
    try:
        line = _decode_usual(raw)
    except _NOT_USUAL:
        ctx.last = None  # the general way may change what the next line's project is derived from
        return _parse_general(raw, ctx)
    message = line.message
    usage = message.usage
    if line.isApiErrorMessage or message.model == "<synthetic>":
        return SYNTHETIC
    split = usage.cache_creation
    if split is not None:
        hour = split.ephemeral_1h_input_tokens
        write = split.ephemeral_5m_input_tokens + hour
    else:
        write, hour = usage.cache_creation_input_tokens, 0
    if write > MAX_TOKENS:
        return MALFORMED
    tools = usage.server_tool_use
    searches = 0 if tools is None else tools.web_search_requests
    # Consecutive lines of one request (a line per content block, streaming snapshots: about 40% of usage
    # lines) share everything `_entry` derives the entry's identity from: such a line takes the previous
    # entry's checked key, session, agent, model and project, and only its own time and counts.
    derived_from = (message.id, line.requestId, line.sessionId, line.isSidechain, line.agentId, line.cwd, message.model)
    last = ctx.last
    if last is not None and last[0] == derived_from and usage.iterations is None:
        ts_us = _timestamp_us(line.timestamp)
        if ts_us is None or ts_us > ctx.now_us + _FUTURE_SLACK_US:
            return MALFORMED
        previous = last[1]
        return UsageLine(previous.key, previous.message_id, previous.session_id, ts_us, previous.model,
                         usage.input_tokens, usage.output_tokens, write, hour, usage.cache_read_input_tokens, searches,
                         usage.speed == "fast", previous.sidechain, previous.agent_type, previous.project_id)
    entry = _entry(raw, ctx, (usage.input_tokens, usage.output_tokens, write, hour, usage.cache_read_input_tokens,
                              searches), message.model, message.id, line.requestId, line.uuid, line.timestamp,
                   line.sessionId, line.isSidechain, line.agentId, line.cwd, usage.speed == "fast", usage.iterations)
    # Only an entry keyed by its message id (not by the line's uuid or bytes) can be taken over; any other
    # outcome of `_entry` ends the run (it may have changed the project a line without `cwd` gets).
    ctx.last = (derived_from, entry) if type(entry) is UsageLine and entry.message_id is not None else None
    return entry


def _parse_general(raw: bytes, ctx: FileContext) -> UsageLine | tuple[UsageLine | Skip, ...] | Skip:
    """`parse_line` for any line: the whole line parsed, every value checked where it is read."""
    obj = _load(raw)
    if type(obj) is not dict:
        return MALFORMED
    entry: dict[str, Any] = obj
    message = obj.get("message")
    agent_id = obj.get("agentId")
    usage = message.get("usage") if type(message) is dict else None
    if type(usage) is not dict:
        # Subagent progress (older builds): the assistant line nests under data.message.
        data = obj.get("data")
        inner = data.get("message") if type(data) is dict else None
        message = inner.get("message") if type(inner) is dict else None
        usage = message.get("usage") if type(message) is dict else None
        if type(usage) is not dict:
            return NOT_USAGE
        assert inner is not None and message is not None and data is not None
        entry = inner
        agent_id = data.get("agentId") or agent_id
        entry.setdefault("sessionId", obj.get("sessionId"))
        entry.setdefault("timestamp", obj.get("timestamp"))
        entry.setdefault("cwd", obj.get("cwd"))
        entry.setdefault("isSidechain", True)
    assert message is not None
    model = message.get("model")
    if entry.get("isApiErrorMessage") is True or model == "<synthetic>":
        return SYNTHETIC
    return _entry(raw, ctx, _counts(usage), model, message.get("id"), entry.get("requestId"), entry.get("uuid"),
                  entry.get("timestamp"), entry.get("sessionId"), entry.get("isSidechain") is True, agent_id,
                  entry.get("cwd"), usage.get("speed") == "fast", usage.get("iterations"))


def _entry(raw: bytes, ctx: FileContext, counts: tuple[int, int, int, int, int, int] | None, model: Any,
           raw_message_id: Any, raw_request_id: Any, raw_uuid: Any, raw_timestamp: Any, raw_session: Any,
           sidechain_flag: bool, agent_id: Any, cwd: Any, fast: bool, iterations: Any
           ) -> UsageLine | tuple[UsageLine | Skip, ...] | Skip:
    """The usage entry (or entries) of a line from the values read off it, checked and keyed."""
    if counts is None:
        return MALFORMED
    ts_us = _timestamp_us(raw_timestamp)
    if ts_us is None or ts_us > ctx.now_us + _FUTURE_SLACK_US:
        return MALFORMED
    message_id = _text(raw_message_id, MAX_ID)
    request_id = _text(raw_request_id, MAX_ID)
    if message_id:
        key = f"{message_id}:{request_id}" if request_id else message_id
    else:
        message_id = None
        uuid = _text(raw_uuid, MAX_ID - 5)
        key = "line:" + (uuid or hashlib.sha1(raw.strip()).hexdigest())
    if len(key) > MAX_ID:
        key = "line:" + hashlib.sha1(key.encode()).hexdigest()
        message_id = None
    session_id = ctx.sessions.get(raw_session) if type(raw_session) is str else None
    if session_id is None:
        session_id = sys.intern(_text(raw_session, MAX_ID) or ctx.session_id)
        if type(raw_session) is str:
            ctx.sessions[raw_session] = session_id
    file_agent = ctx.agent_type
    sidechain = file_agent is not None or sidechain_flag
    if file_agent is not None:
        agent_type = file_agent
    elif sidechain:
        agent_type = ctx.agent_type_of(agent_id if type(agent_id) is str else None)
    else:
        agent_type = MAIN_AGENT
    model_name = ctx.models.get(model) if type(model) is str else None
    if model_name is None:
        model_name = _model_name(model, ctx) or "unknown"
    line = UsageLine(key, message_id, session_id, ts_us, model_name,
                     counts[0], counts[1], counts[2], counts[3], counts[4], counts[5], fast,
                     sidechain, agent_type, ctx.project_of(cwd if type(cwd) is str else None))
    if type(iterations) is list and iterations:
        advisors = advisor_lines(line, iterations, ctx)
        if advisors:
            return (line, *advisors)
    return line


# -- the usual shape, for msgspec --------------------------------------------------------------------
# Exactly what `_parse_general` accepts as it reads the usual line, and no more: counts are whole
# numbers from 0 to MAX_TOKENS (a null, a float or a boolean goes the general way, which treats some of
# them as 0), texts are strings or null, flags are booleans. Fields not named here are skipped.

_Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_TOKENS)]


class _Split(msgspec.Struct, gc=False):
    ephemeral_5m_input_tokens: _Count = 0
    ephemeral_1h_input_tokens: _Count = 0


class _Tools(msgspec.Struct, gc=False):
    web_search_requests: _Count = 0


class _Usage(msgspec.Struct, gc=False):
    input_tokens: _Count
    output_tokens: _Count
    cache_read_input_tokens: _Count = 0
    cache_creation_input_tokens: _Count = 0
    cache_creation: _Split | None = None
    server_tool_use: _Tools | None = None
    speed: str | None = None
    iterations: list[Any] | None = None


class _Message(msgspec.Struct, gc=False):
    usage: _Usage
    id: str | None = None
    model: str | None = None


class _Line(msgspec.Struct, gc=False):
    message: _Message
    requestId: str | None = None  # noqa: N815 - Claude Code's names
    uuid: str | None = None
    timestamp: str | None = None
    sessionId: str | None = None  # noqa: N815
    isSidechain: bool = False  # noqa: N815
    isApiErrorMessage: bool = False  # noqa: N815
    agentId: str | None = None  # noqa: N815
    cwd: str | None = None


_decode_usual = msgspec.json.Decoder(_Line).decode
_NOT_USUAL = (msgspec.DecodeError, msgspec.ValidationError)


class _Object(msgspec.Struct, gc=False):
    """Any JSON object, its members skipped."""


_skip_object = msgspec.json.Decoder(_Object).decode


def is_object_line(raw: bytes) -> bool:
    """Whether a line without usage is a JSON object, as `_load` reads it (else the line is malformed).

    msgspec skips the members without building them (15 ms for the benchmark corpus's 18 MB of such
    lines, against 41 ms for orjson). It does not check the UTF-8 of what it skips, so only an ASCII
    line is taken on its word; anything else, or anything it refuses, is read by `_load`.
    """
    if raw.isascii():
        try:
            _skip_object(raw)
            return True
        except _NOT_USUAL:
            pass
    return type(_load(raw)) is dict


ADVISOR_ITERATION = "advisor_message"


def advisor_lines(line: UsageLine, iterations: list[Any], ctx: FileContext) -> list[UsageLine | Skip]:
    """The advisor tool's calls in a request's `usage.iterations`, each a usage entry of its own.

    The advisor (a second model the request consulted, e.g. Opus for a Sonnet session) is billed at its
    own model's rates, and its tokens are in these iterations only, not in the request's usage (the
    `message` iterations are the request's own, already counted there). Each call keeps the request's
    session, time, agent and project, and gets an id of its own derived from the request's: the
    message id with `-advisor-<position>` (so copies of the line, and sidechain replays of the
    message, dedupe as the request does), then `:` and the request id.
    """
    out: list[UsageLine | Skip] = []
    for position, item in enumerate(iterations):
        if type(item) is not dict or item.get("type") != ADVISOR_ITERATION:
            continue
        counts = _counts(item)
        model = _model_name(item.get("model"), ctx)
        if counts is None or model is None:
            out.append(MALFORMED)
            continue
        suffix = f"-advisor-{position}"
        message_id: str | None = None
        if line.message_id is not None:
            message_id = line.message_id + suffix
            key = message_id + line.key[len(line.message_id):]
        else:
            key = line.key + suffix
        if len(key) > MAX_ID:
            key, message_id = "line:" + hashlib.sha1(key.encode()).hexdigest(), None
        out.append(msgspec.structs.replace(
            line, key=key, message_id=message_id, model=model, input_tokens=counts[0], output_tokens=counts[1],
            cache_write_tokens=counts[2], cache_write_1h_tokens=counts[3], cache_read_tokens=counts[4],
            web_search_requests=counts[5], fast=item.get("speed") == "fast",
        ))
    return out


def _model_name(raw: Any, ctx: FileContext) -> str | None:
    """A model name as written, checked and interned once a file (`ctx.models` holds usable names only);
    None when it is not one."""
    if type(raw) is not str:
        return None
    name = ctx.models.get(raw)
    if name is None:
        checked = _text(raw, MAX_NAME)
        if checked is None:
            return None
        name = ctx.models[raw] = sys.intern(checked)
    return name


def _load(raw: bytes) -> Any:
    """The line's JSON value, or MALFORMED.

    orjson parses a line in half the standard library's time (parsing is most of an import's work).
    A line it refuses (a lone surrogate escape, which JavaScript's JSON.parse accepts; trailing
    whitespace beyond JSON's) is parsed again by the standard library, so every line reads as the
    standard library reads it, but for one difference: orjson makes an integer beyond 64 bits a
    float, not an int (both are refused as token counts).
    """
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        text = raw.decode()
        if text[:1] != "{":
            text = text.lstrip()
        obj, end = _raw_decode(text)
    except ValueError:  # includes UnicodeDecodeError
        return MALFORMED
    if end < len(text) and text[end:].strip():
        return MALFORMED
    return obj


def _count(value: Any) -> int | None:
    if type(value) is int and 0 <= value <= MAX_TOKENS:
        return value
    return None


def _counts(usage: dict[str, Any]) -> tuple[int, int, int, int, int, int] | None:
    """(input, output, cache write total, of which 1h, cache read, web searches), or None if invalid.

    The cache write total is the 5m + 1h split when Claude Code gives one (as ccusage counts it),
    else `cache_creation_input_tokens`, all of it 5-minute writes.
    """
    inp = _count(usage.get("input_tokens"))
    out = _count(usage.get("output_tokens"))
    if inp is None or out is None:
        return None
    read = _count(usage.get("cache_read_input_tokens", 0) or 0)
    split = usage.get("cache_creation")
    if isinstance(split, dict):
        five = _count(split.get("ephemeral_5m_input_tokens", 0) or 0)
        hour = _count(split.get("ephemeral_1h_input_tokens", 0) or 0)
        if five is None or hour is None:
            return None
        write: int | None = five + hour
    else:
        write, hour = _count(usage.get("cache_creation_input_tokens", 0) or 0), 0
    tools = usage.get("server_tool_use")
    searches = _count(tools.get("web_search_requests", 0) or 0) if isinstance(tools, dict) else 0
    if read is None or write is None or searches is None or write > MAX_TOKENS:
        return None
    return inp, out, write, hour, read, searches


def _timestamp_us(value: Any) -> int | None:
    """UTC microseconds of an ISO 8601 time (Claude Code writes `2026-02-19T02:08:35.084Z`); a time
    without an offset is UTC.

    `datetime.fromisoformat` (C) and one subtraction take 0.28 us a line; slicing the usual shape in
    Python took 0.9 us.
    """
    if type(value) is not str or not value:
        return None
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    if ts.year < 2000:
        return None
    return to_us(ts)


def _text(value: Any, limit: int) -> str | None:
    if type(value) is not str or not value or len(value) > limit:
        return None
    if value.isprintable() and not value[0].isspace() and not value[-1].isspace():
        return value  # the usual case: nothing to strip
    value = value.strip()
    return value if value and value.isprintable() else None
