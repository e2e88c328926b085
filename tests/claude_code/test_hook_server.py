"""The hook server: hooks answered by a warm process over a Unix socket, and every way back to running
the hook in its own process. The hooks run as Claude Code runs them (a command, JSON on stdin)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core import ModelConfigManager
from core.claude_code import hook_client

from .conftest import CWD, SESSION, assistant, ledger_snapshot, write

pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="Unix sockets only")

NOW = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture
def ledger(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A ledger in a short directory (a socket path holds ~100 bytes), hook servers on for this test,
    and any server still running stopped at the end."""
    folder = Path(tempfile.mkdtemp(prefix="mc-", dir="/tmp"))
    db = folder / "usage.db"
    monkeypatch.setenv("MODEL_CONFIG_DB", str(db))
    monkeypatch.setenv("MODEL_CONFIG_HOOK_SERVER", "1")
    monkeypatch.setenv("MODEL_CONFIG_HOOK_SERVER_IDLE", "30")
    yield db
    stop_server(db)
    shutil.rmtree(folder, ignore_errors=True)


def hook(event: str, payload: dict[str, Any], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "core.claude_code", "hook", event], input=json.dumps(payload),
                          capture_output=True, text=True, env={**os.environ, "MODEL_CONFIG_HOOK_TIMING": "1", **env},
                          timeout=60)


def served(proc: subprocess.CompletedProcess[str]) -> bool:
    """Whether the hook server answered (the command says so when MODEL_CONFIG_HOOK_TIMING is set)."""
    assert proc.returncode == 0, proc.stderr
    return "(hook server)" in proc.stderr


def wait_for_server(db: Path) -> None:
    assert hook_client.serving(db, timeout=20), "no hook server came up"


def wait_gone(path: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not path.exists()


def send(db: Path, request: dict[str, Any]) -> dict[str, Any]:
    path = hook_client.socket_path(db)
    assert path is not None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(20)
        client.connect(str(path))
        client.sendall(json.dumps(request).encode())
        client.shutdown(socket.SHUT_WR)
        return json.loads(hook_client.read_all(client, 1 << 20))  # type: ignore[no-any-return]


def server_alive(db: Path) -> bool:
    """Whether a server holds the ledger's lock (one starting up included)."""
    import fcntl

    lock = hook_client.lock_path(db)
    if not lock.exists():
        return False
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def stop_server(db: Path) -> None:
    """Stop the server (one still starting, a hook just launched it, is waited for first)."""
    path = hook_client.socket_path(db)
    assert path is not None
    if not server_alive(db):
        return
    wait_for_server(db)
    assert hook_client.stop(db)
    wait_gone(path)


def stop_payload(transcript: Path) -> dict[str, Any]:
    return {"session_id": SESSION, "transcript_path": str(transcript), "cwd": CWD, "hook_event_name": "Stop",
            "stop_hook_active": False}


def test_hook_command_lines_are_recognised() -> None:
    parse = hook_client.parse_hook_argv
    assert parse(["hook", "stop"]) == ("stop", None, None)
    assert parse(["hook", "pre-tool-use", "--db", "/d/u.db", "--config-dir=/c"]) == ("pre-tool-use", "/d/u.db", "/c")
    assert parse(["--db", "/d/u.db", "hook", "session-start"]) == ("session-start", "/d/u.db", None)
    for other in (["hook"], ["hook", "nope"], ["hook", "stop", "--json"], ["hook", "stop", "--db"], ["budget"],
                  ["hook", "stop", "extra"], ["hook", "--help"], []):
        assert parse(other) is None, other


def test_the_first_hook_runs_itself_and_starts_a_server_that_answers_the_next(ledger: Path, project: Path) -> None:
    main = write(project / f"{SESSION}.jsonl", [assistant("msg_1", "req_1", ts=NOW)])
    first = hook("stop", stop_payload(main))
    assert not served(first)  # no server yet: the hook ran in its own process
    wait_for_server(ledger)
    sock = hook_client.socket_path(ledger)
    assert sock is not None and stat.S_IMODE(os.stat(sock).st_mode) == 0o600
    for n in range(2, 5):
        write(main, [assistant(f"msg_{n}", f"req_{n}", ts=NOW)], mode="a")
        assert served(hook("stop", stop_payload(main)))
    # The ledger holds what importing the transcript in one go gives, each request once.
    with ModelConfigManager() as via_server:
        got = ledger_snapshot(via_server)
    os.environ["MODEL_CONFIG_DB"] = str(ledger.with_name("reference.db"))
    try:
        from core.claude_code.importer import import_claude_code

        with ModelConfigManager() as reference:
            import_claude_code(reference, [str(project)])
            assert got == ledger_snapshot(reference) and len(got) == 4
    finally:
        os.environ["MODEL_CONFIG_DB"] = str(ledger)


def test_a_budget_gate_answers_the_same_through_the_server(ledger: Path, isolated_env: Path) -> None:
    cfg = {"budget_limits": {"daily": {"limit": 10, "auto_downgrade": False}}}
    (isolated_env / "config" / "cost-optimization.json").write_text(json.dumps(cfg))
    with ModelConfigManager() as m:
        m.track_usage("main", "claude-opus-4-1", 0, 200_000)  # $15
    payload = {"session_id": SESSION, "cwd": CWD, "hook_event_name": "PreToolUse", "tool_name": "Agent",
               "tool_input": {"description": "d", "prompt": "p", "subagent_type": "code-reviewer"}}
    alone = hook("pre-tool-use", payload)
    assert not served(alone)
    wait_for_server(ledger)
    via = hook("pre-tool-use", payload)
    assert served(via) and via.stdout == alone.stdout
    assert json.loads(via.stdout)["hookSpecificOutput"]["permissionDecision"] == "deny"
    # A config change applies to the next hook at once: each hook reads the config afresh.
    cfg["budget_limits"]["daily"]["limit"] = 1000
    (isolated_env / "config" / "cost-optimization.json").write_text(json.dumps(cfg))
    allowed = hook("pre-tool-use", payload)
    assert served(allowed) and allowed.stdout == ""


def test_other_settings_in_the_environment_run_the_hook_in_its_own_process(ledger: Path) -> None:
    payload = {"session_id": SESSION, "cwd": CWD, "hook_event_name": "SessionStart", "source": "startup"}
    hook("session-start", payload)
    wait_for_server(ledger)
    assert served(hook("session-start", payload))
    other = hook("session-start", payload, ANTHROPIC_DEFAULT_OPUS_MODEL="claude-opus-4-1")
    assert not served(other) and "budgets" in other.stdout
    assert served(hook("session-start", payload))  # the server still serves its own environment


def test_a_server_of_another_version_steps_down(ledger: Path) -> None:
    payload = {"session_id": SESSION, "cwd": CWD, "hook_event_name": "SessionStart", "source": "startup"}
    hook("session-start", payload)
    wait_for_server(ledger)
    answer = send(ledger, {"v": hook_client.PROTOCOL, "stamp": "another copy", "event": "session-start"})
    assert answer == {"ok": False, "why": "another version of model-config"}
    sock = hook_client.socket_path(ledger)
    assert sock is not None
    wait_gone(sock)
    assert not served(hook("session-start", payload))  # and the next hook starts a fresh one
    wait_for_server(ledger)


def test_a_stale_socket_is_replaced_and_an_idle_server_exits(ledger: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sock = hook_client.socket_path(ledger)
    assert sock is not None
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(sock))  # a socket file nobody listens on (a killed server's)
    dead.close()
    monkeypatch.setenv("MODEL_CONFIG_HOOK_SERVER_IDLE", "1")
    payload = {"session_id": SESSION, "cwd": CWD, "hook_event_name": "SessionStart", "source": "startup"}
    assert not served(hook("session-start", payload))
    wait_for_server(ledger)
    wait_gone(sock)  # idle for a second: gone, socket removed


def test_hooks_run_in_their_own_process_when_the_server_is_off(ledger: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODEL_CONFIG_HOOK_SERVER", "0")
    payload = {"session_id": SESSION, "cwd": CWD, "hook_event_name": "SessionStart", "source": "startup"}
    for _ in range(2):
        assert not served(hook("session-start", payload))
    time.sleep(0.5)
    sock = hook_client.socket_path(ledger)
    assert sock is not None and not sock.exists()


def test_a_hook_is_only_sent_to_a_socket_of_this_user(ledger: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    payload = json.dumps({"session_id": SESSION, "cwd": CWD, "hook_event_name": "SessionStart", "source": "startup"})
    sock = hook_client.socket_path(ledger)
    assert sock is not None
    sock.write_text("not a socket")
    assert hook_client.forward("session-start", payload, None, None) is None
    sock.unlink()
    hook("session-start", json.loads(payload))
    wait_for_server(ledger)
    answer = hook_client.forward("session-start", payload, None, None)
    assert answer is not None and "budgets" in answer["stdout"]
    # Owned by someone else (as another user's socket in a shared directory would be): not even connected to.
    real_uid = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real_uid + 1)
    assert hook_client.forward("session-start", payload, None, None) is None


def test_undecodable_input_is_logged_and_the_hook_exits_0(ledger: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "core.claude_code", "hook", "stop"], input=b"{\xff\xfe}",
                          capture_output=True, env={**os.environ, "MODEL_CONFIG_HOOK_SERVER": "0"}, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, b"")
    # Decoded with surrogate escapes or refused, it is not a hook input: logged.
    log = ledger.with_name("claude-code-hooks.log").read_text()
    assert "hook stop: " in log and ("UnicodeDecodeError" in log or "JSONDecodeError" in log)


def test_a_failing_hand_off_runs_the_hook_here(ledger: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    import io

    def broken() -> str:
        raise PermissionError("the package directory cannot be listed")

    payload = {"session_id": SESSION, "cwd": CWD, "hook_event_name": "SessionStart", "source": "startup"}
    hook("session-start", payload)  # a server runs: the hand-off fails while the request is made
    wait_for_server(ledger)
    monkeypatch.setattr(hook_client, "code_stamp", broken)
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(payload)))
    assert hook_client.run_hook_command("session-start", None, None) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["hookSpecificOutput"]["additionalContext"].startswith("model-config budgets:")


def test_hooks_of_several_sessions_at_once_each_count_once(ledger: Path, project: Path) -> None:
    """Sessions that stop together: their hooks queue at the server (or run themselves); every request
    is recorded once."""
    transcripts = []
    for s in range(6):
        session = f"{SESSION[:-1]}{s}"
        transcripts.append(write(project / f"{session}.jsonl",
                                 [assistant(f"msg_{s}_{n}", f"req_{s}_{n}", ts=NOW, session=session)
                                  for n in range(20)]))
    hook("stop", stop_payload(transcripts[0]))  # starts the server
    wait_for_server(ledger)
    env = {**os.environ, "MODEL_CONFIG_HOOK_TIMING": "1"}
    procs = [subprocess.Popen([sys.executable, "-m", "core.claude_code", "hook", "stop"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in transcripts for _ in range(2)]
    for proc, path in zip(procs, [t for t in transcripts for _ in range(2)], strict=True):
        out, err = proc.communicate(json.dumps(stop_payload(path)), timeout=120)
        assert (proc.returncode, out) == (0, ""), err
    with ModelConfigManager() as m:
        keys = [r["request_id"] for r in m.ledger.records()]
    assert len(keys) == len(set(keys)) == 6 * 20
