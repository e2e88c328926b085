"""A warm process that runs Claude Code hooks, so a hook does not pay for Python's start.

A hook process spends most of its time starting: Python, pydantic, the library and its validators.
A Stop hook took 171-310 ms end to end (benchmarks/bench_import.py, every run so far), the work itself 7-10 ms in a
process that had done it before. So
`model-config hook EVENT` first offers the hook to a hook server: one process per ledger that has
everything loaded and runs each hook as the command would (`hooks.run`, a fresh manager per hook, so
config changes apply at once). The command then only starts Python, sends its input over a Unix
socket beside the ledger and prints the answer.

The command falls back to running the hook itself, as before, whenever the server cannot answer: none
running (it then starts one, for the next hooks), an older or newer copy of the code, different
settings in the environment, a failure or no answer in time. Importing twice is harmless (records are
deduplicated by request id), so a late answer never double counts.

The server serves the environment it was started with: each hook's working directory and
`CLAUDE_PROJECT_DIR` are applied per hook; any other difference in the variables that change results
(`MODEL_CONFIG_*`, `ANTHROPIC_DEFAULT_*`, `XDG_*`, `CLAUDE_CONFIG_DIR`, `HOME`, `TZ`) sends the hook
back to the command. It serves one hook at a time and exits after 15 idle minutes
(`MODEL_CONFIG_HOOK_SERVER_IDLE` seconds), when its socket is taken over, or when the code changed.
`MODEL_CONFIG_HOOK_SERVER=0` turns it off. Unix only (elsewhere hooks run in their own process).

This module is the hook command's side and what both sides share; the server is `hook_server`.
Every command line imports this module (to tell a hook): at its top only light standard modules.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse
    import socket
    from collections.abc import Callable

PROTOCOL = 1
EVENTS = ("stop", "subagent-stop", "pre-tool-use", "session-start")
IDLE_SECONDS = 15 * 60
CONNECT_TIMEOUT = 1.0
# How long a hook waits for the server before running itself, within Claude Code's timeouts for our hooks
# (30 s for the Stop hooks, 10 s for the others; see settings_merge.EVENTS).
ANSWER_TIMEOUT = {"stop": 15.0, "subagent-stop": 15.0, "pre-tool-use": 3.0, "session-start": 3.0}
MAX_REQUEST = 32 * 1024 * 1024
_MAX_SOCKET_PATH = 100  # sun_path holds 104-108 bytes, by platform
_ENV_PREFIXES = ("MODEL_CONFIG_", "ANTHROPIC_DEFAULT_", "XDG_")
_ENV_NAMES = ("CLAUDE_CONFIG_DIR", "HOME", "TZ")
_ENV_IGNORED = ("MODEL_CONFIG_HOOK_TIMING",)


def enabled() -> bool:
    import socket

    return (
        os.environ.get("MODEL_CONFIG_HOOK_SERVER", "1").strip() != "0"
        and sys.platform != "win32"
        and hasattr(socket, "AF_UNIX")
    )


def socket_path(db: Path) -> Path | None:
    """Where the server for the ledger `db` listens; None when the path is too long for a socket."""
    path = db.with_name(db.name + ".hooks.sock")
    return path if len(os.fsencode(path)) <= _MAX_SOCKET_PATH else None


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".hooks.lock")


def settings_env() -> str:
    """A digest of the environment variables that change what a hook does (CLAUDE_PROJECT_DIR aside: it is
    sent with each hook). A digest, so that no value (a bearer token, say) ever crosses the socket."""
    import hashlib

    chosen = sorted(
        (k, v)
        for k, v in os.environ.items()
        if (k.startswith(_ENV_PREFIXES) or k in _ENV_NAMES) and k not in _ENV_IGNORED
    )
    return hashlib.sha256(json.dumps(chosen).encode()).hexdigest()


def code_stamp() -> str:
    """Which copy of the code runs: its place, the interpreter, and every module file's size and time."""
    root = Path(__file__).resolve().parent.parent  # the `core` package
    parts = [str(root), sys.executable, sys.version]
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        stack.append(Path(entry.path))
                elif entry.name.endswith(".py"):
                    st = entry.stat()
                    parts.append(f"{entry.path}:{st.st_size}:{st.st_mtime_ns}")
    parts[3:] = sorted(parts[3:])
    return "\n".join(parts)


# -- the hook command's side -----------------------------------------------------------------------


def parse_hook_argv(argv: list[str]) -> tuple[str, str | None, str | None] | None:
    """(event, --db, --config-dir) for `hook EVENT [--db P] [--config-dir D]`; None for anything else."""
    rest = list(argv)
    options: dict[str, str | None] = {"--db": None, "--config-dir": None}
    words = []
    while rest:
        arg = rest.pop(0)
        name, eq, value = arg.partition("=")
        if name in options:
            if not eq:
                if not rest:
                    return None
                value = rest.pop(0)
            options[name] = value
        elif arg.startswith("-"):
            return None
        else:
            words.append(arg)
    if len(words) != 2 or words[0] != "hook" or words[1] not in EVENTS:
        return None
    return words[1], options["--db"], options["--config-dir"]


def hand_off(argv: list[str], build_parser: Callable[[], argparse.ArgumentParser] | None = None) -> int | None:
    """The exit code of a hook command (`run_hook_command`, or `refuse_bad_hook`), or None when `argv` is
    not one for this to run: every entry point asks this first, before loading the command line.
    `build_parser` is the entry point's parser (default: `model-config`'s)."""
    hook = parse_hook_argv(argv)
    if hook is not None:
        return run_hook_command(*hook)
    if "hook" not in argv:
        return None  # another command
    return refuse_bad_hook(argv, build_parser)


def refuse_bad_hook(argv: list[str], build_parser: Callable[[], argparse.ArgumentParser] | None) -> int | None:
    """0 when `argv` is a `hook` command that the command line would refuse (a usage error exits 2, which
    blocks the user's action in Claude Code): the problem is logged as a hook failure and printed on
    stderr, nothing on stdout. None for any other command line, and for a hook it accepts (`--json`,
    `--help`, an abbreviated option): the command line then runs it."""
    import contextlib
    import io

    from ..cli import aliases

    if build_parser is None:  # `model-config`, which reads the original flag forms (`--status`) first
        from ..cli import build

        build_parser, argv = build, aliases.translate_legacy(argv)
    at = aliases.command_index(argv)
    if at is None or argv[at] != "hook":
        return None
    err = io.StringIO()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            build_parser().parse_args(argv)
    except SystemExit as exc:
        if not exc.code:
            return None  # --help: the command line prints it
    else:
        return None
    from ..errors import InvalidUsage
    from .hooks import log_failure, log_path

    problem = next((line.partition(": error: ")[2] for line in reversed(err.getvalue().splitlines())
                    if ": error: " in line), "") or "the command line was not understood"
    after = aliases.command_index(argv[at + 1 :])
    event = argv[at + 1 + after] if after is not None else "(no event)"
    log_failure(event, InvalidUsage(f"hook not run, bad command line {' '.join(argv)!r}: {problem}"), None)
    print(f"model-config: error: hook not run: {problem}; logged to {log_path(None)}", file=sys.stderr)
    return 0


def run_hook_command(event: str, db: str | None, config_dir: str | None) -> int:
    """`model-config hook EVENT`: through the hook server when it answers, else in this process."""
    import io

    try:
        raw = sys.stdin.read()
    except Exception as exc:  # noqa: BLE001 - undecodable input, say: the hook logs it, as it always did
        failed = exc

        class _Failed(io.StringIO):
            def read(self, size: int | None = -1) -> str:
                raise failed

        stdin: io.StringIO = _Failed()
    else:
        stdin = io.StringIO(raw)
        answer = None
        if enabled():
            try:
                answer = forward(event, raw, db, config_dir)
            except Exception:  # noqa: BLE001 - the server is an optimisation: the hook runs here instead
                answer = None
        if answer is not None:
            try:
                sys.stdout.write(answer["stdout"])
                sys.stdout.flush()
            except OSError:
                pass  # Claude Code stopped listening: nothing to tell it
            if os.environ.get("MODEL_CONFIG_HOOK_TIMING"):
                print(f"hook {event} (hook server): {answer['seconds']:.3f}s", file=sys.stderr)
            return 0
    return run_here(event, db, config_dir, stdin)


def run_here(event: str, db: str | None, config_dir: str | None, stdin: IO[str], stdout: IO[str] | None = None
             ) -> int:
    """Run a hook in this process (`hooks.run`, on a manager opened as the command line opens it): the
    command's fallback and the hook server's work."""
    import argparse

    from ..cli.context import open_manager
    from . import hooks

    args = argparse.Namespace(db=db, config_dir=config_dir)
    return hooks.run(event, lambda: open_manager(args), stdin, stdout)


def ledger_path(db: str | None) -> Path:
    if db:
        return Path(db).expanduser().absolute()
    from ..paths import default_db_path

    return default_db_path().absolute()


def forward(event: str, raw: str, db: str | None, config_dir: str | None) -> dict[str, Any] | None:
    """The server's answer ({"stdout", "seconds"}), or None when the hook should run here."""
    ledger = ledger_path(db)
    path = socket_path(ledger)
    if path is None or not ledger.parent.is_dir():
        return None
    try:
        st = os.stat(path)
    except FileNotFoundError:
        start_server(ledger)  # none running: start one for the next hooks
        return None
    except OSError:
        return None
    if st.st_uid != os.getuid() or not stat.S_ISSOCK(st.st_mode):
        return None  # not a socket of this user's: never send it a hook
    import socket

    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.settimeout(CONNECT_TIMEOUT)
        try:
            client.connect(os.fspath(path))
        except (FileNotFoundError, ConnectionRefusedError):
            start_server(ledger)  # a dead server's socket: start a new one for the next hooks
            return None
        if not _same_user(client):
            return None
        request = {
            "v": PROTOCOL,
            "stamp": code_stamp(),
            "env": settings_env(),
            "event": event,
            "stdin": raw,
            "cwd": os.getcwd(),
            "project_dir": os.environ.get("CLAUDE_PROJECT_DIR"),
            "config_dir": config_dir,
        }
        client.settimeout(ANSWER_TIMEOUT[event])
        client.sendall(json.dumps(request).encode())
        client.shutdown(socket.SHUT_WR)
        answer = json.loads(read_all(client, MAX_REQUEST))
    except (OSError, ValueError):
        return None
    finally:
        client.close()
    if not isinstance(answer, dict) or answer.get("ok") is not True or not isinstance(answer.get("stdout"), str):
        return None
    return answer


def _same_user(conn: socket.socket) -> bool:
    """Whether the process at the other end runs as this user (Linux tells; elsewhere the socket's
    owner, checked before connecting, vouches for it)."""
    import socket

    peercred = getattr(socket, "SO_PEERCRED", None)
    if peercred is None:
        return True
    import struct

    try:
        _pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, peercred, struct.calcsize("3i")))
    except OSError:
        return False
    return uid == os.getuid()


def serving(ledger: Path, timeout: float = 0.0) -> bool:
    """Whether a hook server for `ledger` accepts connections (waiting up to `timeout` seconds for one)."""
    import socket

    path = socket_path(ledger)
    deadline = time.monotonic() + timeout
    while path is not None:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                probe.connect(os.fspath(path))
                return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.05)
    return False


def stop(ledger: Path) -> bool:
    """Ask the hook server for `ledger` to exit; True when one was asked."""
    import socket

    path = socket_path(ledger)
    if path is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(ANSWER_TIMEOUT["stop"])
            client.connect(os.fspath(path))
            client.sendall(json.dumps({"v": PROTOCOL, "stop": True}).encode())
            client.shutdown(socket.SHUT_WR)
            read_all(client, 1 << 16)
    except OSError:
        return False
    return True


def start_server(ledger: Path) -> None:
    """Start a hook server for `ledger`, detached from this hook (its output goes nowhere)."""
    import subprocess

    try:
        subprocess.Popen(
            # -P: nothing from the working directory (the ledger's) shadows the package
            [sys.executable, "-P", "-m", "core.claude_code.hook_server", os.fspath(ledger)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
            cwd=os.fspath(ledger.parent),
            # This copy of the package first: the same code the stamp describes, whatever else is on the path.
            env={**os.environ, "PYTHONPATH": os.pathsep.join(
                p for p in (str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH")) if p)},
        )
    except OSError:
        pass  # the hook runs here; the next one tries again


def read_all(conn: socket.socket, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise ValueError("message too large")
        chunks.append(chunk)
