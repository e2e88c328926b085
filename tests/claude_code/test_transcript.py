"""Parsing one transcript line, and the rule that picks which copy of a request is kept."""

from __future__ import annotations

import calendar
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.claude_code.discovery import encode_project_dir, project_id_for
from core.claude_code.lines import FileContext, parse_line
from core.claude_code.transcript import (
    MALFORMED,
    NOT_USAGE,
    SYNTHETIC,
    Kept,
    UsageLine,
    better,
    is_replay,
)

from .conftest import CWD, FOLDER, SESSION, assistant, dumps, usage


def ctx(agent_type: str | None = None) -> FileContext:
    return FileContext(session_id="from-file", agent_type=agent_type,
                       project_of=lambda cwd: project_id_for(FOLDER, cwd),
                       agent_type_of=lambda agent_id: {"a1": "code-reviewer"}.get(agent_id or "", "subagent"),
                       now_us=time.time_ns() // 1000)


def parse(obj: dict | str, agent_type: str | None = None) -> UsageLine | str:
    return parse_line(dumps(obj).encode(), ctx(agent_type))


def test_reference_assistant_line() -> None:
    # The assistant line of shared/reference/claude-code.md, as Claude Code writes it.
    raw = ('{"parentUuid":"5b1e","isSidechain":false,"userType":"external","cwd":"/Users/me/app","sessionId":'
           '"0a9a8045-53e9-44b1-83fb-aafc6e1f4f0b","version":"2.1.47","gitBranch":"main","message":{"model":'
           '"claude-sonnet-4-5-20250929","id":"msg_01Rws28Xg2tBY3A5fNdrk6Mf","type":"message","role":"assistant",'
           '"content":[{"type":"tool_use","id":"toolu_01Vd","name":"Glob","input":{"pattern":"**/*.go"}}],'
           '"stop_reason":null,"usage":{"input_tokens":3,"cache_creation_input_tokens":3117,'
           '"cache_read_input_tokens":14723,"cache_creation":{"ephemeral_5m_input_tokens":3117,'
           '"ephemeral_1h_input_tokens":0},"output_tokens":1,"service_tier":"standard","server_tool_use":'
           '{"web_search_requests":0,"web_fetch_requests":0}}},"requestId":"req_011CPkCWc21qrE6dGwSHMcw1",'
           '"type":"assistant","uuid":"e59b712a-7489-4166-80b9-13978fd2a6ea","timestamp":"2026-02-19T02:08:35.084Z"}')
    line = parse_line(raw.encode(), FileContext("f", None, lambda cwd: project_id_for("-Users-me-app", cwd),
                                                lambda a: "subagent", time.time_ns() // 1000))
    assert isinstance(line, UsageLine)
    assert line.key == "msg_01Rws28Xg2tBY3A5fNdrk6Mf:req_011CPkCWc21qrE6dGwSHMcw1"
    assert line.session_id == "0a9a8045-53e9-44b1-83fb-aafc6e1f4f0b"
    assert line.project_id == "app"
    assert line.agent_type == "main" and not line.sidechain
    assert (line.input_tokens, line.output_tokens, line.cache_write_tokens, line.cache_write_1h_tokens,
            line.cache_read_tokens) == (3, 1, 3117, 0, 14723)
    assert line.timestamp.isoformat() == "2026-02-19T02:08:35.084000+00:00"


def test_subagent_line_of_the_reference() -> None:
    raw = ('{"isSidechain":true,"agentId":"a241764","sessionId":"7195cfed-d73e-458f-9a6c-6a0e85c59b83","cwd":'
           '"/Users/me/app","message":{"model":"claude-haiku-4-5","id":"msg_01Q","usage":{"input_tokens":1,'
           '"cache_creation_input_tokens":266,"cache_read_input_tokens":15213,"cache_creation":'
           '{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":266},"output_tokens":212}},"requestId":'
           '"req_011CYGcJiBvvnPwUeHeMzTxe","type":"assistant","timestamp":"2026-02-19T02:08:41.310Z"}')
    line = parse_line(raw.encode(), ctx(agent_type="Explore"))
    assert isinstance(line, UsageLine)
    assert line.agent_type == "Explore" and line.sidechain
    assert (line.cache_write_tokens, line.cache_write_1h_tokens) == (266, 266)
    assert line.session_id == "7195cfed-d73e-458f-9a6c-6a0e85c59b83"


def test_error_placeholder_is_not_usage() -> None:
    raw = ('{"type":"assistant","isApiErrorMessage":true,"error":"rate_limit","apiErrorStatus":429,"sessionId":'
           '"4f52","timestamp":"2026-09-23T10:31:02.000Z","message":{"id":"e1","model":"<synthetic>","usage":'
           '{"input_tokens":0,"output_tokens":0}}}')
    assert parse_line(raw.encode(), ctx()) is SYNTHETIC
    assert parse(assistant("m", "r", model="<synthetic>")) is SYNTHETIC
    assert parse(assistant("m", "r", isApiErrorMessage=True)) is SYNTHETIC


@pytest.mark.parametrize("bad", [
    '{"type":"assistant","message":{"id":"m","usage":{"input_tok',  # torn
    "not json",
    "[1, 2]",
    dumps(assistant("m", "r", u={"input_tokens": -1, "output_tokens": 1})),
    dumps(assistant("m", "r", u={"input_tokens": 1.5, "output_tokens": 1})),
    dumps(assistant("m", "r", u={"input_tokens": True, "output_tokens": 1})),
    dumps(assistant("m", "r", u={"input_tokens": 1})),
    dumps(assistant("m", "r", u={"input_tokens": 1, "output_tokens": 1, "cache_read_input_tokens": "9"})),
    dumps(assistant("m", "r", ts="yesterday")),
    dumps(assistant("m", "r", ts="2099-01-01T00:00:00Z")),
])
def test_malformed_lines(bad: str) -> None:
    assert parse(bad) is MALFORMED


def test_lines_orjson_refuses_read_as_the_standard_library_reads_them() -> None:
    """A lone surrogate escape (JSON.parse accepts it, so Claude Code may write one) or trailing
    whitespace other than JSON's: orjson refuses the line, the standard library reads it the same."""
    good = dumps(assistant("msg_s", "req_s"))
    assert '"text":"ok"' in good
    lone = good.replace('"text":"ok"', '"text":"\\ud800 half a pair"')
    for raw in (good, lone, good + "\x0b", "  " + good, good + "\r\n"):
        line = parse_line(raw.encode(), ctx())
        assert isinstance(line, UsageLine) and line.key == "msg_s:req_s", raw[-40:]
    # Integers beyond 64 bits: orjson reads them as floats, the standard library as ints; as a token
    # count either is refused, elsewhere in the line either is fine.
    assert parse(assistant("m", "r", u={"input_tokens": 2**70, "output_tokens": 1})) is MALFORMED
    assert isinstance(parse(good.replace('"text":"ok"', f'"text":"ok","big":{2**70}')), UsageLine)


def test_lines_without_usage() -> None:
    assert parse({"type": "summary", "summary": "x", "usage": "n/a"}) is NOT_USAGE
    assert parse({"type": "user", "message": {"role": "user", "content": "the usage is high"}}) is NOT_USAGE


def test_fields_mapped() -> None:
    line = parse(assistant("msg_1", "req_1", model="claude-opus-4-6", cwd=CWD + "/src/deep",
                           u=usage(5, 7, write_5m=10, write_1h=20, read=30, searches=2, speed="fast")))
    assert isinstance(line, UsageLine)
    assert line.project_id == "shop-api"  # the project dir, though the session cd'ed below it
    assert line.model == "claude-opus-4-6"
    assert line.fast and line.web_search_requests == 2
    assert (line.cache_write_tokens, line.cache_write_1h_tokens, line.cache_read_tokens) == (30, 20, 30)
    assert line.total == 5 + 7 + 30 + 30


def test_cache_split_and_flat_total() -> None:
    # No split: all of cache_creation_input_tokens are 5-minute writes. A split: its sum counts (as ccusage).
    flat = parse(assistant("m", "r", u=usage(write_5m=100, split=False)))
    assert isinstance(flat, UsageLine) and (flat.cache_write_tokens, flat.cache_write_1h_tokens) == (100, 0)
    odd = assistant("m", "r", u=usage(write_5m=40, write_1h=60))
    odd["message"]["usage"]["cache_creation_input_tokens"] = 999
    parsed = parse(odd)
    assert isinstance(parsed, UsageLine) and (parsed.cache_write_tokens, parsed.cache_write_1h_tokens) == (100, 60)


def test_keys() -> None:
    both = parse(assistant("msg_1", "req_9"))
    only_message = parse(assistant("msg_1", None))
    neither = parse(assistant(None, None, uuid="line-uuid"))
    assert isinstance(both, UsageLine) and both.key == "msg_1:req_9"
    assert isinstance(only_message, UsageLine) and only_message.key == "msg_1"
    assert isinstance(neither, UsageLine) and neither.key == "line:line-uuid" and neither.message_id is None


def test_progress_line_nests_a_subagent_message() -> None:
    inner = assistant("msg_p", "req_p", model="claude-haiku-4-5-20251001", sidechain=True)
    wrapper = {"type": "progress", "sessionId": SESSION, "cwd": CWD, "timestamp": inner["timestamp"],
               "data": {"type": "agent_progress", "agentId": "a1", "message": inner}}
    line = parse(wrapper)
    assert isinstance(line, UsageLine)
    assert line.key == "msg_p:req_p" and line.sidechain and line.agent_type == "code-reviewer"


def test_session_falls_back_to_the_file_name() -> None:
    obj = assistant("m", "r")
    del obj["sessionId"]
    line = parse(obj)
    assert isinstance(line, UsageLine) and line.session_id == "from-file"


def test_project_folder_encoding() -> None:
    assert encode_project_dir("/Users/me/my_app") == "-Users-me-my-app"
    assert project_id_for("-Users-me-my-app", "/Users/me/my_app/src") == "my_app"
    assert project_id_for("-Users-me-my-app", "/elsewhere") == "elsewhere"
    assert project_id_for("-Users-me-my-app", None) == "-Users-me-my-app"  # no such directory here


def test_a_project_folder_name_is_decoded_against_the_file_system(tmp_path: Path) -> None:
    from core.claude_code.discovery import decode_project_folder

    shop_api = tmp_path / "dev" / "shop-api"
    (shop_api / "src").mkdir(parents=True)
    (tmp_path / "dev" / "shop" / "web").mkdir(parents=True)  # a near miss to backtrack from
    (tmp_path / ".hidden_dir" / "my app").mkdir(parents=True)
    folder = encode_project_dir(str(shop_api))
    assert decode_project_folder(folder) == str(shop_api)
    assert project_id_for(folder, None) == "shop-api" == project_id_for(folder, str(shop_api / "src"))
    hidden = tmp_path / ".hidden_dir" / "my app"
    assert project_id_for(encode_project_dir(str(hidden)), None) == "my app"
    # Both readings exist: the longer name wins (a project called shop-api, not api under shop).
    (tmp_path / "dev" / "shop" / "api").mkdir()
    decode_project_folder.cache_clear()
    assert project_id_for(folder, None) == "shop-api"
    # Nothing on disk, a truncated name, a non-POSIX one: the folder name as it is.
    missing = encode_project_dir(str(tmp_path / "gone" / "app"))
    assert project_id_for(missing, None) == missing
    assert project_id_for("C--Users-me-app", None) == "C--Users-me-app"
    assert decode_project_folder("-" + "x" * 210) is None


def _line(**kw: object) -> UsageLine:
    base = dict(key="m:r", message_id="m", session_id="s", ts_us=100, model="x", input_tokens=1, output_tokens=1,
                cache_write_tokens=0, cache_write_1h_tokens=0, cache_read_tokens=0, web_search_requests=0,
                fast=False, sidechain=False, agent_type="main", project_id="p")
    base.update(kw)
    return UsageLine(**base)  # type: ignore[arg-type]


def _stored(line: UsageLine) -> Kept:
    """The copy the importer keeps for `line` once it is in the ledger (looked up by a later run)."""
    row = {"request_id": line.key, "session_id": line.session_id, "ts_us": line.ts_us, "agent_type": line.agent_type,
           "project_id": line.project_id, "model": line.model, "input_tokens": line.input_tokens,
           "output_tokens": line.output_tokens, "cache_write_tokens": line.cache_write_tokens,
           "cache_write_1h_tokens": line.cache_write_1h_tokens, "cache_read_tokens": line.cache_read_tokens,
           "web_search_requests": line.web_search_requests, "fast": int(line.fast), "source": "claude-code"}
    return Kept.from_row(row, "claude-code")


@pytest.mark.parametrize(("new", "old", "replaces"), [
    (_line(sidechain=False), _line(sidechain=True, agent_type="subagent", output_tokens=99), True),
    (_line(sidechain=True, agent_type="x", output_tokens=99), _line(sidechain=False), False),
    (_line(output_tokens=5), _line(output_tokens=4), True),  # the final streamed snapshot
    (_line(output_tokens=4), _line(output_tokens=5), False),
    (_line(ts_us=50), _line(ts_us=100), True),  # equal copies: the earlier one
    (_line(ts_us=100), _line(ts_us=50), False),
    (_line(sidechain=True, agent_type="Explore"), _line(sidechain=True, agent_type="subagent"), True),
    (_line(), _line(), False),
])
def test_which_copy_is_kept(new: UsageLine, old: UsageLine, replaces: bool) -> None:
    # Against a copy kept in this run (the line itself) and against the same copy stored by an earlier run.
    assert better(new, old) is replaces
    assert better(new, _stored(old)) is replaces
    if new != old:
        assert better(old, new) is not replaces  # a strict order: the kept copy never depends on order
        assert better(old, _stored(new)) is not replaces


@pytest.mark.parametrize("kept", [lambda line: line, _stored], ids=["this run", "stored"])
def test_replays(kept: Callable[[UsageLine], UsageLine | Kept]) -> None:
    parent = kept(_line(key="msg_1:req_a", message_id="msg_1", session_id="s1"))
    assert is_replay(_line(key="msg_1:req_b", message_id="msg_1", session_id="s1", sidechain=True), parent)
    assert is_replay(_line(key="msg_1:req_b", message_id="msg_1", session_id="s2", sidechain=True), parent)
    assert not is_replay(_line(key="msg_1:req_b", message_id="msg_1", session_id="s1", sidechain=False), parent)
    gateway = kept(_line(key="ocgo:r1", message_id="ocgo", session_id="s1"))
    assert not is_replay(_line(key="ocgo:r2", message_id="ocgo", session_id="s2", sidechain=True), gateway)
    assert is_replay(_line(key="ocgo:r2", message_id="ocgo", session_id="s1", sidechain=True), gateway)


def test_lines_are_compact_json() -> None:
    assert json.loads(dumps(assistant("m", "r")))["message"]["id"] == "m"


_T = calendar.timegm((2026, 2, 19, 2, 8, 35)) * 1_000_000  # 2026-02-19 02:08:35 UTC, worked out by calendar


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-02-19T02:08:35.084Z", _T + 84_000),
    ("2025-12-31T23:59:59.999Z", calendar.timegm((2025, 12, 31, 23, 59, 59)) * 1_000_000 + 999_000),
    ("2026-02-19T02:08:35Z", _T),
    ("2026-02-19T02:08:35.084+02:00", _T + 84_000 - 2 * 3600 * 1_000_000),
    ("2026-02-19T02:08:35.084", _T + 84_000),  # no offset: UTC
    ("2026-02-19T02:08:35.084123Z", _T + 84_123),
    ("2026-02-19T02:60:35.084Z", None),
    ("2026-02-19T24:08:35.084Z", None),
    ("2026-02-30T02:08:35.084Z", None),
    ("1999-02-19T02:08:35.084Z", None),  # before 2000: not a time Claude Code wrote
    ("2026-02-19T02:08:3x.084Z", None),
    ("", None),
    (1771466915084, None),
])
def test_timestamps(text: object, expected: int | None) -> None:
    from core.claude_code.lines import _timestamp_us

    assert _timestamp_us(text) == expected


@pytest.mark.parametrize("model", [["a"], {"x": 1}, 7, None, "", "x" * 300])
def test_odd_model_values_are_recorded_as_unknown(model: object) -> None:
    line = parse(assistant("m", "r", model=model))  # type: ignore[arg-type]
    assert isinstance(line, UsageLine) and line.model == "unknown"


def test_trailing_garbage_and_leading_space() -> None:
    good = dumps(assistant("m", "r"))
    assert parse(good + " x") is MALFORMED
    assert isinstance(parse(good + "  \r"), UsageLine)
    assert isinstance(parse(" " + good), UsageLine)


def advisor(inp: int, out: int, *, model: str = "claude-opus-4-6", write_5m: int = 0, write_1h: int = 0,
            read: int = 0) -> dict:
    return {"type": "advisor_message", "model": model, "input_tokens": inp, "output_tokens": out,
            "cache_read_input_tokens": read, "cache_creation_input_tokens": write_5m + write_1h,
            "cache_creation": {"ephemeral_5m_input_tokens": write_5m, "ephemeral_1h_input_tokens": write_1h}}


def own(inp: int, out: int) -> dict:
    return {"type": "message", "input_tokens": inp, "output_tokens": out, "cache_read_input_tokens": 0,
            "cache_creation_input_tokens": 0}


def test_advisor_calls_are_entries_of_their_own_on_the_advisors_model() -> None:
    u = usage(100, 20, read=1000) | {"iterations": [own(100, 15), advisor(7000, 600, write_5m=200, write_1h=100),
                                                    own(0, 5), advisor(8000, 500, read=2000)]}
    parsed = parse(assistant("msg_A", "req_A", model="claude-sonnet-4-6", u=u))
    assert isinstance(parsed, tuple) and len(parsed) == 3
    line, first, second = parsed
    # The request's own usage as written (its `message` iterations are already in it).
    assert (line.key, line.model, line.input_tokens, line.output_tokens) == (
        "msg_A:req_A", "claude-sonnet-4-6", 100, 20)
    assert (first.key, first.message_id) == ("msg_A-advisor-1:req_A", "msg_A-advisor-1")
    assert second.key == "msg_A-advisor-3:req_A"
    assert (first.model, first.input_tokens, first.output_tokens, first.cache_write_tokens,
            first.cache_write_1h_tokens, first.cache_read_tokens) == ("claude-opus-4-6", 7000, 600, 300, 100, 0)
    assert (second.input_tokens, second.output_tokens, second.cache_read_tokens) == (8000, 500, 2000)
    for call in (first, second):  # the request's time, session, agent and project
        assert (call.ts_us, call.session_id, call.agent_type, call.project_id, call.sidechain) == (
            line.ts_us, line.session_id, line.agent_type, line.project_id, line.sidechain)
        assert not call.fast


def test_advisor_calls_without_a_message_id_or_a_sense_of_their_own() -> None:
    line = assistant(None, "req_A", u=usage(1, 1) | {"iterations": [advisor(10, 10), {"type": "advisor_message"},
                                                                      advisor(-1, 3), "junk", own(1, 1)]})
    parsed = parse(line)
    assert isinstance(parsed, tuple)
    request, call, no_model, bad_count = parsed
    assert request.key.startswith("line:") and call.key == request.key + "-advisor-0" and call.message_id is None
    assert no_model is MALFORMED and bad_count is MALFORMED
    # No advisor call in the iterations (or none at all): the line alone.
    assert isinstance(parse(assistant("m", "r", u=usage(1, 1) | {"iterations": [own(1, 1)]})), UsageLine)
    assert isinstance(parse(assistant("m", "r", u=usage(1, 1) | {"iterations": "x"})), UsageLine)


def test_an_unusable_model_name_reads_the_same_whatever_came_before() -> None:
    # A request on a model that is no usable name is recorded on "unknown"; an advisor call naming it is
    # malformed. Both consult the file's cache of model names: the order they come in changes nothing.
    bad = " \t "
    request = dumps(assistant("msg_A", "req_A", model=bad)).encode()
    consulting = dumps(assistant("msg_B", "req_B", u=usage(1, 1) | {"iterations": [advisor(10, 10, model=bad)]}))
    for order in ((request, consulting.encode()), (consulting.encode(), request)):
        c = ctx(None)
        parsed = {raw: parse_line(raw, c) for raw in order}
        line = parsed[request]
        assert isinstance(line, UsageLine) and line.model == "unknown"
        with_call = parsed[consulting.encode()]
        assert isinstance(with_call, tuple) and with_call[1] is MALFORMED


# -- the usual shape (msgspec) and the general reading agree ------------------------------------------

_odd = st.sampled_from([None, True, False, 0, -1, 1.0, 1.5, 10**13, 2**70, "", " x ", "x", "\x00", [], {}, [1]])


def _maybe(value: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly a usual value, sometimes an odd one, sometimes absent (None here: the key is left out)."""
    return st.integers(0, 39).flatmap(lambda n: value if n < 36 else _odd if n < 38 else st.none())


_texts = st.sampled_from(["msg_1", "req_1", "claude-opus-4-6", "<synthetic>", "s-1", "/home/dev/app", "a1", " pad "])
_counts = st.integers(0, 10**6)
_times = st.sampled_from(["2026-02-19T02:08:35.084Z", "2026-02-19T02:08:35Z", "2026-02-19 02:08:35",
                          "2099-01-01T00:00:00.000Z", "1999-01-01T00:00:00.000Z", "not a time"])


@st.composite
def transcript_lines(draw: st.DrawFn) -> bytes:
    def put(target: dict, key: str, strategy: st.SearchStrategy) -> None:
        value = draw(_maybe(strategy))
        if value is not None or draw(st.integers(0, 3)) == 0:  # None: mostly the key left out, else null
            target[key] = value

    usage: dict = {}
    for key in ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"):
        put(usage, key, _counts)
    put(usage, "cache_creation", st.fixed_dictionaries({}, optional={
        "ephemeral_5m_input_tokens": _maybe(_counts), "ephemeral_1h_input_tokens": _maybe(_counts)}))
    put(usage, "server_tool_use", st.fixed_dictionaries({}, optional={"web_search_requests": _maybe(_counts)}))
    put(usage, "speed", st.sampled_from(["fast", "standard"]))
    put(usage, "iterations", st.lists(st.fixed_dictionaries({
        "type": st.sampled_from(["message", "advisor_message"]), "model": _maybe(_texts),
        "input_tokens": _maybe(_counts), "output_tokens": _maybe(_counts)}), max_size=3))
    message: dict = {"content": [{"type": "text", "text": "x"}]}
    put(message, "usage", st.just(usage))
    put(message, "id", _texts)
    put(message, "model", _texts)
    line: dict = {"type": "assistant"}
    put(line, "message", st.just(message))
    for key, strategy in (("requestId", _texts), ("uuid", _texts), ("timestamp", _times), ("sessionId", _texts),
                          ("agentId", _texts), ("cwd", _texts), ("isSidechain", st.booleans()),
                          ("isApiErrorMessage", st.booleans())):
        put(line, key, strategy)
    if draw(st.booleans()) and "message" not in line:  # a progress line
        line["data"] = {"agentId": "a1", "message": {"message": message, "timestamp": "2026-02-19T02:08:35.084Z"}}
    if draw(st.integers(0, 9)) == 0:  # a repeated key: the last one counts, in both readings
        text = json.dumps(line)
        return (text[:-1] + ', "cwd": "/other"}').encode()
    return json.dumps(line).encode() + b"\n"


@settings(max_examples=1500, deadline=None)
@given(raw=transcript_lines(), agent_type=st.sampled_from([None, "Explore"]))
def test_the_usual_shape_reads_as_the_general_way(raw: bytes, agent_type: str | None) -> None:
    from core.claude_code.lines import _parse_general

    assert parse_line(raw, ctx(agent_type)) == _parse_general(raw, ctx(agent_type))


def test_corpus_lines_read_the_same_both_ways(tmp_path: Path) -> None:
    from claude_code_corpus import build

    from core.claude_code.lines import _decode_usual, _parse_general

    build(tmp_path, sessions=12, requests=20, seed=5)
    usual = 0
    for path in tmp_path.rglob("*.jsonl"):
        fast, general = ctx(), ctx()
        for raw in path.read_bytes().splitlines(keepends=True):
            assert parse_line(raw, fast) == _parse_general(raw, general), raw[:200]
            try:
                _decode_usual(raw)
                usual += 1
            except Exception:
                pass
    assert usual > 500  # most usage lines take the usual way


# Consecutive copies of one request take the previous entry's identity (parse_line's shortcut): any run of
# copies and near-copies must read as each line does alone.
_copy_fields = (
    st.sampled_from(["msg_1", "msg_2", None]), st.sampled_from(["req_1", None]), st.sampled_from([SESSION, "s-2"]),
    st.sampled_from([CWD, "/home/dev/other", None]), st.booleans(), st.sampled_from([None, "a1", "a2"]),
    st.sampled_from(["claude-sonnet-4-5-20250929", "claude-opus-4-6", "<synthetic>", " pad "]), _times,
    st.integers(0, 3), st.sampled_from(["usual", "advisor", "general", "overflow", "fast"]),
)


@st.composite
def _copy_specs(draw: st.DrawFn) -> list[tuple]:
    """Runs of lines, each the one before with up to two of its values changed (mostly copies of one request)."""
    specs = [tuple(draw(field) for field in _copy_fields)]
    for _ in range(draw(st.integers(0, 7))):
        spec = list(specs[-1])
        for index in draw(st.lists(st.integers(0, len(_copy_fields) - 1), max_size=2)):
            spec[index] = draw(_copy_fields[index])
        specs.append(tuple(spec))
    return specs


def _copy_line(spec: tuple) -> bytes:
    mid, rid, session, cwd, sidechain, agent_id, model, ts, out, kind = spec
    u = usage(3, 10 + out, write_5m=5, write_1h=out, read=7, speed="fast" if kind == "fast" else None)
    if kind == "advisor":
        u["iterations"] = [{"type": "advisor_message", "model": "claude-opus-4-6", "input_tokens": 4,
                            "output_tokens": out}]
    elif kind == "general":
        u["cache_read_input_tokens"] = None  # not the usual shape: read the general way
    elif kind == "overflow":
        u["cache_creation"]["ephemeral_5m_input_tokens"] = 10**12
    line = assistant(mid, rid, model=model, ts=ts, session=session, cwd=cwd, sidechain=sidechain, u=u)
    if cwd is None:
        del line["cwd"]
    if agent_id is not None:
        line["agentId"] = agent_id
    return dumps(line).encode() + b"\n"


@settings(max_examples=600, deadline=None)
@given(specs=_copy_specs(), agent_type=st.sampled_from([None, "Explore"]))
def test_consecutive_copies_read_as_each_line_alone(specs: list[tuple], agent_type: str | None) -> None:
    from core.claude_code.lines import _parse_general

    shared, general = ctx(agent_type), ctx(agent_type)
    for spec in specs:
        raw = _copy_line(spec)
        assert parse_line(raw, shared) == _parse_general(raw, general), spec


_T = "2026-02-19T02:08:35.084Z"


@settings(max_examples=300, deadline=None)
@given(specs=_copy_specs())
@example(specs=[  # a copy after a line read the general way, whose cwd changed the project a line without one gets
    ("msg_1", "req_1", SESSION, None, False, None, "claude-opus-4-6", _T, 0, "usual"),
    ("msg_2", "req_1", SESSION, "/home/dev/other", False, None, "claude-opus-4-6", _T, 0, "general"),
    ("msg_1", "req_1", SESSION, None, False, None, "claude-opus-4-6", _T, 1, "usual"),
])
@example(specs=[  # the same after a line keyed by its uuid (no message id), whose cwd changed that project too
    ("msg_1", "req_1", SESSION, None, False, None, "claude-opus-4-6", _T, 0, "usual"),
    (None, "req_1", SESSION, "/home/dev/other", False, None, "claude-opus-4-6", _T, 0, "usual"),
    ("msg_1", "req_1", SESSION, None, False, None, "claude-opus-4-6", _T, 1, "usual"),
])
def test_consecutive_copies_in_a_file_read_as_without_the_shortcut(
    specs: list[tuple], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Through the reader, whose project for a line without `cwd` is the last one seen (state the shortcut
    must leave as reading each line in full would)."""
    from core.claude_code import lines, reader

    path = tmp_path_factory.mktemp("t") / "projects" / FOLDER / f"{SESSION}.jsonl"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"".join(_copy_line(spec) for spec in specs))
    st_ = path.stat()
    task = reader.FileTask(str(path), 0, 0, None, None, time.time_ns() // 1000, None, st_.st_dev, st_.st_ino,
                           st_.st_size, st_.st_mtime_ns)
    with_shortcut = reader.read_file(task)

    def in_full(raw: bytes, context: FileContext):  # type: ignore[no-untyped-def]
        context.last = None
        return lines.parse_line(raw, context)

    original = reader.parse_line
    reader.parse_line = in_full
    try:
        without = reader.read_file(task)
    finally:
        reader.parse_line = original
    assert with_shortcut.entries == without.entries
    assert (with_shortcut.malformed, with_shortcut.synthetic, with_shortcut.duplicates, with_shortcut.usage_lines) == (
        without.malformed, without.synthetic, without.duplicates, without.usage_lines)


_jsonish = st.text(alphabet='{}[]",:0123456789.eE+-truefalsnul \\/\t\r\n\x01\x7f\u00e9\ud7ff', max_size=30)


@settings(max_examples=1500, deadline=None)
@given(raw=st.one_of(transcript_lines(), _jsonish.map(lambda t: ("{" + t + "}").encode("utf-8", "surrogatepass")),
                     _jsonish.map(lambda t: t.encode("utf-8", "surrogatepass")),
                     st.binary(max_size=30).map(lambda b: b'{"a":"' + b + b'"}')))
def test_a_line_without_usage_is_an_object_as_the_general_way_reads_it(raw: bytes) -> None:
    from core.claude_code.lines import _load, is_object_line

    assert is_object_line(raw) == (type(_load(raw)) is dict)
