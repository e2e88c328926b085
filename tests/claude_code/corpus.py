"""Generated Claude Code transcripts, shaped like the real ones (see shared/reference/claude-code.md).

A corpus has several projects, sessions with main-thread and subagent transcripts, and every case
the importer must get right: one line per content block, streaming snapshots, sidechain replays of
parent messages, resumed sessions that copy old lines, subagents with and without meta files,
`<synthetic>` API errors, torn last lines, malformed lines, unknown models, 1h cache writes, fast
mode, web searches, long-context requests and advisor-tool calls (`usage.iterations`). Used by the
tests and by benchmarks/bench_import.py.
"""

from __future__ import annotations

import json
import random
import string
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PROJECT_DIRS = ["/home/dev/shop-api", "/home/dev/my_lib", "/work/data.pipeline", "/Users/ana/notes app"]
MODELS = [
    ("claude-sonnet-4-5-20250929", 40),
    ("claude-opus-4-6", 15),
    ("claude-haiku-4-5-20251001", 15),
    ("claude-opus-4-1-20250805", 5),
    ("claude-sonnet-4-20250514", 10),
    ("claude-opus-4-5-20251101", 10),
    ("claude-3-5-haiku-20241022", 4),
    ("claude-experimental-9", 1),
]
ADVISED = {"claude-haiku-4-5-20251001", "claude-opus-4-6"}  # models that can consult an advisor
ADVISOR_MODEL = "claude-opus-4-6"
SUBAGENT_TYPES = ["code-reviewer", "Explore", "general-purpose", "test-runner", "Plan"]
BASE = datetime(2025, 12, 1, 6, 0, tzinfo=UTC)


def encode(path: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in path)


def iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


@dataclass
class CorpusStats:
    files: int = 0
    lines: int = 0
    bytes: int = 0
    paths: list[Path] = field(default_factory=list)


class Corpus:
    """Writes a Claude Code config dir (`<root>/projects/...`) with generated sessions."""

    def __init__(self, root: Path, seed: int = 7, *, payload_bytes: int = 600, days: int = 12,
                 long_context: float = 0.02, web_search: bool = True, advisor: float = 0.08) -> None:
        self.root = root
        self.long_context = long_context
        self.advisor = advisor  # share of requests (on models that take an advisor) that consult one
        self.web_search = web_search
        self.rng = random.Random(seed)
        self.payload_bytes = payload_bytes
        self.days = days
        self.stats = CorpusStats()
        self._files: dict[Path, list[str]] = {}
        self._torn: set[Path] = set()

    # -- ids and helpers -------------------------------------------------------------------

    def _id(self, prefix: str, n: int = 24) -> str:
        return prefix + "".join(self.rng.choice(string.ascii_letters + string.digits) for _ in range(n))

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _text(self, size: int) -> str:
        words = ["def", "return", "self", "value", "import", "config", "usage", "tokens", "model", "cost", "the",
                 "budget", "ledger", "=", "(", ")", ":", "\n", "    ", "if", "for", "in", "None", "True"]
        out: list[str] = []
        n = 0
        while n < size:
            w = self.rng.choice(words)
            out.append(w)
            n += len(w) + 1
        return " ".join(out)

    def _model(self) -> str:
        models, weights = zip(*MODELS, strict=True)
        return self.rng.choices(models, weights)[0]

    def _append(self, path: Path, obj: dict[str, Any] | str) -> None:
        line = obj if isinstance(obj, str) else json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
        self._files.setdefault(path, []).append(line)

    def _usage(self, model: str, *, big: bool = False) -> dict[str, Any]:
        rng = self.rng
        read = rng.randint(150_000, 199_000) if big else rng.choice([0, rng.randint(2_000, 90_000)])
        write = rng.choice([0, 0, rng.randint(100, 8_000)])
        one_hour = write if rng.random() < 0.2 else 0
        usage: dict[str, Any] = {
            "input_tokens": rng.randint(1, 30) if not big else rng.randint(5_000, 30_000),
            "cache_creation_input_tokens": write,
            "cache_read_input_tokens": read,
            "cache_creation": {"ephemeral_5m_input_tokens": write - one_hour, "ephemeral_1h_input_tokens": one_hour},
            "output_tokens": rng.randint(1, 2_500),
            "service_tier": "standard",
            "server_tool_use": {"web_search_requests": rng.choice([0] * 30 + [1, 2]) if self.web_search else 0,
                                "web_fetch_requests": 0},
        }
        if model == "claude-opus-4-6" and rng.random() < 0.25:
            usage["speed"] = "fast"
        if model in ADVISED and rng.random() < self.advisor:
            usage["iterations"] = self._iterations(usage)
        return usage

    def _iterations(self, usage: dict[str, Any]) -> list[dict[str, Any]]:
        """The advisor tool's accounting: the request's own iterations (`message`, already in its usage)
        around one or two advisor calls (`advisor_message`, on the advisor's model, in nothing else)."""
        rng = self.rng
        own = {k: usage[k] for k in ("input_tokens", "output_tokens", "cache_read_input_tokens",
                                     "cache_creation_input_tokens")}
        out: list[dict[str, Any]] = [{"type": "message", **own}]
        for _ in range(rng.choice([1, 1, 2])):
            write = rng.choice([0, rng.randint(100, 6_000)])
            one_hour = write if rng.random() < 0.3 else 0
            out.append({"type": "advisor_message", "model": ADVISOR_MODEL, "input_tokens": rng.randint(2_000, 60_000),
                        "output_tokens": rng.randint(300, 1_800), "cache_read_input_tokens": rng.choice([0, 40_000]),
                        "cache_creation_input_tokens": write,
                        "cache_creation": {"ephemeral_5m_input_tokens": write - one_hour,
                                           "ephemeral_1h_input_tokens": one_hour}})
            out.append({"type": "message", "input_tokens": 0, "output_tokens": rng.randint(1, 200),
                        "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0})
        return out

    # -- lines -----------------------------------------------------------------------------

    def _base(self, session: str, cwd: str, ts: datetime, sidechain: bool) -> dict[str, Any]:
        return {"parentUuid": self._uuid(), "isSidechain": sidechain, "userType": "external", "cwd": cwd,
                "sessionId": session, "version": "2.1.47", "gitBranch": "main"}

    def _user(self, path: Path, session: str, cwd: str, ts: datetime, sidechain: bool = False) -> None:
        line = self._base(session, cwd, ts, sidechain)
        size = max(50, int(self.rng.expovariate(1 / self.payload_bytes)))
        line.update({"type": "user", "message": {"role": "user", "content": [
            {"tool_use_id": self._id("toolu_"), "type": "tool_result", "content": self._text(size)}]},
            "uuid": self._uuid(), "timestamp": iso(ts), "toolUseResult": {"stdout": self._text(size // 3)}})
        self._append(path, line)

    def _request(self, path: Path, session: str, cwd: str, ts: datetime, *, sidechain: bool = False,
                 agent_id: str | None = None, model: str | None = None, big: bool = False) -> list[dict[str, Any]]:
        """One API request: one line per content block, sometimes streaming snapshots first."""
        model = model or self._model()
        usage = self._usage(model, big=big)
        mid, rid = self._id("msg_01"), self._id("req_011C")
        blocks = self.rng.choice([1, 1, 2, 2, 3])
        lines = []
        for b in range(blocks):
            u = json.loads(json.dumps(usage))
            if b < blocks - 1 and self.rng.random() < 0.4:
                u["output_tokens"] = self.rng.randint(1, max(1, usage["output_tokens"] - 1))  # earlier snapshot
            kind = self.rng.choice(["text", "tool_use", "thinking"])
            content: dict[str, Any]
            if kind == "text":
                content = {"type": "text", "text": self._text(self.rng.randint(20, 600))}
            elif kind == "thinking":
                content = {"type": "thinking", "thinking": self._text(self.rng.randint(20, 400)), "signature": "x"}
            else:
                content = {"type": "tool_use", "id": self._id("toolu_"), "name": "Read",
                           "input": {"file_path": f"{cwd}/src/{self._id('', 6)}.py"}}
            line = self._base(session, cwd, ts, sidechain)
            if agent_id:
                line["agentId"] = agent_id
            line.update({"message": {"model": model, "id": mid, "type": "message", "role": "assistant",
                                     "content": [content], "stop_reason": None, "usage": u},
                         "requestId": rid, "type": "assistant", "uuid": self._uuid(),
                         "timestamp": iso(ts + timedelta(milliseconds=40 * b))})
            self._append(path, line)
            lines.append(line)
        return lines

    def _noise(self, path: Path, session: str, cwd: str, ts: datetime) -> None:
        kind = self.rng.random()
        if kind < 0.4:
            self._append(path, {"type": "file-history-snapshot", "messageId": self._uuid(), "snapshot": {
                "trackedFileBackups": {}, "timestamp": iso(ts)}, "isSnapshotUpdate": False})
        elif kind < 0.7:
            line = self._base(session, cwd, ts, False)
            line.update({"type": "system", "subtype": "informational", "content": "Compacted", "uuid": self._uuid(),
                         "timestamp": iso(ts)})
            self._append(path, line)
        else:
            self._append(path, {"type": "summary", "summary": "Refactor the ledger", "leafUuid": self._uuid()})

    def _synthetic(self, path: Path, session: str, cwd: str, ts: datetime) -> None:
        line = self._base(session, cwd, ts, False)
        line.update({"type": "assistant", "isApiErrorMessage": True, "error": "rate_limit", "apiErrorStatus": 429,
                     "uuid": self._uuid(), "timestamp": iso(ts), "message": {
                         "id": self._uuid(), "model": "<synthetic>", "role": "assistant",
                         "content": [{"type": "text", "text": "API Error: 429"}],
                         "usage": {"input_tokens": 0, "output_tokens": 0, "cache_creation_input_tokens": 0,
                                   "cache_read_input_tokens": 0}}})
        self._append(path, line)

    # -- sessions --------------------------------------------------------------------------

    def session(self, requests: int, *, project: str | None = None, start: datetime | None = None) -> Path:
        """Write one session (main transcript, subagents) and return the main transcript's path."""
        rng = self.rng
        cwd = project or rng.choice(PROJECT_DIRS)
        folder = self.root / "projects" / encode(cwd)
        session = self._uuid()
        path = folder / f"{session}.jsonl"
        ts = start or BASE + timedelta(days=rng.randint(0, self.days - 1), minutes=rng.randint(0, 20 * 60))
        main_lines: list[dict[str, Any]] = []
        for _ in range(requests):
            ts += timedelta(seconds=rng.randint(5, 400))
            here = cwd if rng.random() < 0.9 else cwd + "/src"
            self._user(path, session, here, ts)
            main_lines += self._request(path, session, here, ts, big=rng.random() < self.long_context)
            if rng.random() < 0.05:
                self._noise(path, session, here, ts)
            if rng.random() < 0.01:
                self._synthetic(path, session, here, ts)
            if rng.random() < 0.06:
                ts = self._subagent(folder, session, cwd, ts, main_lines)
        if rng.random() < 0.05:
            self._append(path, '{"type":"assistant","message":{"id":"msg_broken","usage":{"input_tok')  # torn
            self._append(path, "not json at all")
        if rng.random() < 0.1:
            self._torn.add(path)
        return path

    def _subagent(self, folder: Path, session: str, cwd: str, ts: datetime,
                  parent: list[dict[str, Any]]) -> datetime:
        rng = self.rng
        agent_id = self._id("a", 7).lower()
        sub = folder / session / "subagents" / f"agent-{agent_id}.jsonl"
        agent_type = rng.choice(SUBAGENT_TYPES)
        if rng.random() < 0.7:
            meta = sub.with_name(f"agent-{agent_id}.meta.json")
            meta.parent.mkdir(parents=True, exist_ok=True)
            meta.write_text(json.dumps({"toolUseId": self._id("toolu_"), "agentType": agent_type,
                                        "description": "Review the diff"}))
        if parent and rng.random() < 0.3:
            # A replay of the parent's last message under a new request id (sidechain copy).
            replay = json.loads(json.dumps(parent[-1]))
            replay["isSidechain"] = True
            replay["agentId"] = agent_id
            replay["requestId"] = self._id("req_011C")
            replay["message"]["usage"]["cache_read_input_tokens"] += 5_000
            self._append(sub, replay)
        model = rng.choice(["claude-haiku-4-5-20251001", "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"])
        for _ in range(rng.randint(2, 12)):
            ts += timedelta(seconds=rng.randint(2, 60))
            self._user(sub, session, cwd, ts, sidechain=True)
            lines = self._request(sub, session, cwd, ts, sidechain=True, agent_id=agent_id, model=model)
            if rng.random() < 0.3:
                # Older builds also echo a subagent's messages into the main transcript as progress lines.
                main = folder / f"{session}.jsonl"
                self._append(main, {"type": "progress", "data": {"type": "agent_progress", "agentId": agent_id,
                                                                 "message": lines[-1]},
                                    "toolUseID": self._id("toolu_"), "parentToolUseID": self._id("toolu_"),
                                    "sessionId": session, "cwd": cwd, "uuid": self._uuid(),
                                    "timestamp": lines[-1]["timestamp"]})
        return ts

    def resume(self, original: Path) -> Path:
        """A resumed session: a new file that starts with a verbatim copy of the original's lines."""
        copied = self._files[original][: max(1, len(self._files[original]) // 2)]
        session = self._uuid()
        path = original.with_name(f"{session}.jsonl")
        for line in copied:
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict) and "sessionId" in obj:
                obj["sessionId"] = session
            self._append(path, obj)
        return path

    def write(self) -> CorpusStats:
        for path, lines in self._files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            text = "\n".join(lines)
            if path not in self._torn:
                text += "\n"
            else:
                text += "\n" + '{"parentUuid":"x","type":"assistant","message":{"model":"claude-opus-4-6","id":"m'
            data = text.encode()
            path.write_bytes(data)
            self.stats.files += 1
            self.stats.lines += len(lines) + (path in self._torn)  # the torn last line included
            self.stats.bytes += len(data)
            self.stats.paths.append(path)
        return self.stats


def build(root: Path, *, sessions: int, requests: int, seed: int = 7, payload_bytes: int = 600,
          resumes: float = 0.1, long_context: float = 0.02, web_search: bool = True,
          advisor: float = 0.08) -> CorpusStats:
    corpus = Corpus(root, seed, payload_bytes=payload_bytes, long_context=long_context, web_search=web_search,
                    advisor=advisor)
    mains = []
    for _ in range(sessions):
        mains.append(corpus.session(corpus.rng.randint(max(1, requests // 2), requests * 3 // 2)))
    for path in mains:
        if corpus.rng.random() < resumes:
            corpus.resume(path)
    return corpus.write()
