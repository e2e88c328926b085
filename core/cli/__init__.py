"""The model-config command line: `main(argv) -> exit code`.

The console script `model-config` is `server.cli:script`: `server.cli.main`, which passes the MCP
server in as `serve` (core never imports the server). `python -m core` runs every command but `serve`;
`python -m server` serves. `model-config` (but for `serve`), `python -m core` and `python -m
core.claude_code` end the process with `core.process_exit.exit_now`; serving exits as usual.

Exit codes: 0 ok, 1 error, 2 usage error, 3 `budget --check` found a budget at the failing level.
Errors the user can fix print one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sqlite3
import sys
from collections.abc import Callable

from .aliases import command_index, translate_legacy
from .context import EXIT_ERROR, EXIT_USAGE, CliError

COMMON_DEFAULTS = {"db": None, "config_dir": None, "json": False}


ServeFn = Callable[[list[str]], int]


def main(argv: list[str] | None = None, *, serve: ServeFn | None = None) -> int:
    args_list = translate_legacy(list(sys.argv[1:] if argv is None else argv))
    at = command_index(args_list)
    if at is not None and args_list[at] == "serve":
        return run_serve(args_list[:at] + args_list[at + 1 :], serve)
    try:
        code = run(args_list)
        sys.stdout.flush()  # inside the try: a closed pipe is reported here, not at interpreter exit
        return code
    except KeyboardInterrupt:
        print("model-config: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`model-config history | head`): not an error worth a message.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR


def run(argv: list[str], build_parser: Callable[[], argparse.ArgumentParser] | None = None) -> int:
    """Parse and run one command; errors the user can fix become one line and an exit code.
    `build_parser` is another entry point's parser (`python -m core.claude_code`)."""
    from ..errors import ConfigError, InvalidUsage, ModelConfigError

    parser = (build_parser or build)()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    for name, default in COMMON_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, default)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(func(args))
    except CliError as exc:
        return fail(str(exc), exc.code)
    except ConfigError as exc:
        return fail(f"{exc} (run 'model-config config validate' to list every problem)", EXIT_ERROR)
    except InvalidUsage as exc:
        return fail(str(exc), EXIT_USAGE)
    except ModelConfigError as exc:
        return fail(str(exc), EXIT_ERROR)
    except sqlite3.Error as exc:
        return fail(f"usage database {getattr(args, 'db', None) or 'at the default path'}: {exc}", EXIT_ERROR)
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        return fail(f"{where}{exc.strerror or exc}", EXIT_ERROR)


def build() -> argparse.ArgumentParser:
    from .parser import build_parser

    parser, subparsers, common = build_parser()
    try:
        claude_code_cli = importlib.import_module("core.claude_code.cli")
    except ImportError:
        claude_code_cli = None  # Claude Code integration not installed: its commands are simply absent
    if claude_code_cli is not None:
        claude_code_cli.register(subparsers, [common])
    return parser


def fail(message: str, code: int) -> int:
    print(f"model-config: error: {message}", file=sys.stderr)
    return code


def run_serve(argv: list[str], serve: ServeFn | None) -> int:
    """`model-config [--db X] serve ...`: hand everything to the MCP server the entry point passed in."""
    if serve is None:
        return fail("this entry point cannot serve; run 'model-config serve' or 'python -m server'", EXIT_USAGE)
    argv = [a for a in argv if a != "--json"]
    try:
        return int(serve(argv) or 0)
    except ImportError as exc:
        return fail(f"the MCP server could not be loaded ({exc}); reinstall model-config", EXIT_ERROR)


__all__ = ["main"]
