"""`python -m core.claude_code ...`: the Claude Code subcommands alone, with the same handlers and
common options as `model-config`. A hook is handed to the hook server before anything else loads, as
`model-config` does.
"""

from __future__ import annotations

import argparse
import sys

from . import hook_client


def build() -> argparse.ArgumentParser:
    from ..cli.parser import common_parent
    from . import cli

    common = common_parent()
    parser = argparse.ArgumentParser(prog="python -m core.claude_code", parents=[common])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    cli.register(sub, [common])
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    code = hook_client.hand_off(argv, build)
    if code is not None:  # a hook, before loading the rest: see hook_client
        return code
    from ..cli import run

    return run(argv, build)


if __name__ == "__main__":
    from ..process_exit import exit_now

    exit_now(main())
