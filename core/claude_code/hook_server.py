"""The hook server: one process per ledger that answers `model-config hook EVENT` over a Unix socket
(the command's side, the protocol and why: `hook_client`).

Started detached by a hook that found none (`python -P -m core.claude_code.hook_server LEDGER`); one per
ledger, held by a lock file beside it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .hook_client import (
    EVENTS,
    IDLE_SECONDS,
    MAX_REQUEST,
    PROTOCOL,
    code_stamp,
    lock_path,
    read_all,
    run_here,
    settings_env,
    socket_path,
)

if TYPE_CHECKING:
    import socket


def serve(ledger: Path, idle: float) -> None:
    """Answer hooks for `ledger` until idle for `idle` seconds, replaced, or out of date."""
    import fcntl

    path = socket_path(ledger)
    if path is None:
        return
    lock = open(lock_path(ledger), "a")  # noqa: SIM115 - held for the server's life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        return  # another server has this ledger
    try:
        _serve_locked(ledger, path, idle)
    finally:
        lock.close()


def _serve_locked(ledger: Path, path: Path, idle: float) -> None:
    import argparse

    from ..cli.context import open_manager
    from . import hooks, importer  # noqa: F401 - loaded now, not in the first hook

    stamp = code_stamp()
    env = settings_env()
    # Build the validators and caches a hook uses once, on a manager that is then closed (a broken config
    # file fails here as it fails each hook: the hooks log it).
    try:
        open_manager(argparse.Namespace(db=os.fspath(ledger), config_dir=None)).close()
    except Exception:  # noqa: BLE001
        pass
    path.unlink(missing_ok=True)  # a dead server's (we hold the lock, so no live one has it)
    import socket

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)  # the socket is the user's alone
    try:
        listener.bind(os.fspath(path))
    finally:
        os.umask(old_umask)
    ours = os.stat(path).st_ino
    listener.listen(64)
    listener.settimeout(idle)
    try:
        while True:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                return  # idle
            with conn:
                keep_going = _answer(conn, ledger, stamp, env)
            if not keep_going:
                return
            try:
                if os.stat(path).st_ino != ours:
                    return  # another server took the socket over
            except FileNotFoundError:
                return
    finally:
        listener.close()
        try:
            if os.stat(path).st_ino == ours:
                path.unlink()
        except FileNotFoundError:
            pass


def _answer(conn: socket.socket, ledger: Path, stamp: str, env: str) -> bool:
    """Run one hook for a client; False when this server should stop (asked to, or its code is out of date)."""
    import io

    conn.settimeout(5.0)
    try:
        request = json.loads(read_all(conn, MAX_REQUEST))
        if not isinstance(request, dict):
            raise ValueError("not an object")
    except (OSError, ValueError):
        return True
    if request.get("stop") is True:
        _reply(conn, {"ok": False, "why": "stopping"})
        return False
    if request.get("v") != PROTOCOL or request.get("stamp") != stamp:
        _reply(conn, {"ok": False, "why": "another version of model-config"})
        return False
    if request.get("env") != env or request.get("event") not in EVENTS:
        _reply(conn, {"ok": False, "why": "another environment"})
        return True
    project_dir = request.get("project_dir")
    config_dir = request.get("config_dir")
    try:
        os.chdir(request["cwd"])
    except (OSError, KeyError, TypeError):
        _reply(conn, {"ok": False, "why": "working directory"})
        return True
    if isinstance(project_dir, str):
        os.environ["CLAUDE_PROJECT_DIR"] = project_dir
    else:
        os.environ.pop("CLAUDE_PROJECT_DIR", None)
    out = io.StringIO()
    started = time.perf_counter()
    run_here(request["event"], os.fspath(ledger), config_dir if isinstance(config_dir, str) else None,
             io.StringIO(str(request.get("stdin", ""))), out)
    _reply(conn, {"ok": True, "stdout": out.getvalue(), "seconds": time.perf_counter() - started})
    return True


def _reply(conn: socket.socket, answer: dict[str, Any]) -> None:
    try:
        conn.sendall(json.dumps(answer).encode())
    except OSError:
        pass  # the hook gave up waiting and runs itself


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m core.claude_code.hook_server LEDGER", file=sys.stderr)
        return 2
    try:
        idle = float(os.environ.get("MODEL_CONFIG_HOOK_SERVER_IDLE", IDLE_SECONDS))
    except ValueError:
        idle = IDLE_SECONDS
    serve(Path(args[0]), max(idle, 0.1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
