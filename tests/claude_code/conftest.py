"""Builders for Claude Code transcript lines, and a manager over each test's own database."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core import ModelConfigManager

# corpus.py is shared with benchmarks/bench_import.py; load it by path (tests run in importlib mode).
_spec = importlib.util.spec_from_file_location("claude_code_corpus", Path(__file__).with_name("corpus.py"))
assert _spec is not None and _spec.loader is not None
corpus_module = importlib.util.module_from_spec(_spec)
sys.modules["claude_code_corpus"] = corpus_module
_spec.loader.exec_module(corpus_module)

CWD = "/home/dev/shop-api"
FOLDER = "-home-dev-shop-api"
SESSION = "0a9a8045-53e9-44b1-83fb-aafc6e1f4f0b"


def usage(inp: int = 3, out: int = 10, *, write_5m: int = 0, write_1h: int = 0, read: int = 0, searches: int = 0,
          speed: str | None = None, split: bool = True) -> dict[str, Any]:
    u: dict[str, Any] = {"input_tokens": inp, "cache_creation_input_tokens": write_5m + write_1h,
                         "cache_read_input_tokens": read, "output_tokens": out, "service_tier": "standard",
                         "server_tool_use": {"web_search_requests": searches, "web_fetch_requests": 0}}
    if split:
        u["cache_creation"] = {"ephemeral_5m_input_tokens": write_5m, "ephemeral_1h_input_tokens": write_1h}
    if speed:
        u["speed"] = speed
    return u


def assistant(mid: str | None, rid: str | None = "req_1", *, model: str = "claude-sonnet-4-5-20250929",
              ts: str = "2026-02-19T02:08:35.084Z", session: str = SESSION, cwd: str = CWD,
              sidechain: bool = False, u: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    line: dict[str, Any] = {"parentUuid": "5b1e", "isSidechain": sidechain, "userType": "external", "cwd": cwd,
                            "sessionId": session, "version": "2.1.47", "gitBranch": "main",
                            "message": {"model": model, "type": "message", "role": "assistant",
                                        "content": [{"type": "text", "text": "ok"}], "stop_reason": None,
                                        "usage": u or usage()},
                            "type": "assistant", "uuid": f"u-{mid}-{rid}-{ts}", "timestamp": ts}
    if mid is not None:
        line["message"]["id"] = mid
    if rid is not None:
        line["requestId"] = rid
    line.update(extra)
    return line


def user_line(text: str = "hello", session: str = SESSION) -> dict[str, Any]:
    return {"parentUuid": None, "isSidechain": False, "cwd": CWD, "sessionId": session, "version": "2.1.47",
            "type": "user", "message": {"role": "user", "content": text}, "uuid": "u1",
            "timestamp": "2026-02-19T02:08:30.000Z"}


def dumps(obj: dict[str, Any] | str) -> str:
    return obj if isinstance(obj, str) else json.dumps(obj, separators=(",", ":"))


def write(path: Path, lines: list[dict[str, Any] | str], *, newline: bool = True, mode: str = "w") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(dumps(x) for x in lines) + ("\n" if newline and lines else "")
    with path.open(mode, encoding="utf-8") as handle:
        handle.write(text)
    return path


@pytest.fixture
def claude_dir(isolated_env: Path) -> Path:
    """$CLAUDE_CONFIG_DIR (set by the root conftest) with an empty projects/ folder."""
    root = isolated_env / "claude"
    (root / "projects").mkdir(parents=True)
    return root


@pytest.fixture
def project(claude_dir: Path) -> Path:
    folder = claude_dir / "projects" / FOLDER
    folder.mkdir()
    return folder


@pytest.fixture
def manager(isolated_env: Path) -> Iterator[ModelConfigManager]:
    m = ModelConfigManager()
    yield m
    m.close()


def rows(manager: ModelConfigManager) -> list[dict[str, Any]]:
    return list(manager.ledger.records())


def ledger_snapshot(manager: ModelConfigManager) -> list[tuple[Any, ...]]:
    """The ledger's content, free of per-run ids, for comparing two ledgers."""
    keep = ("request_id", "ts_us", "agent_type", "model", "project_id", "session_id", "input_tokens", "output_tokens",
            "cache_write_tokens", "cache_write_1h_tokens", "cache_read_tokens", "web_search_requests", "fast",
            "cost_pico")
    return sorted(tuple(r[k] for k in keep) for r in manager.ledger.records())
