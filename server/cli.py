"""The `model-config` console script: the core command line, with `serve` wired to this package.

Kept here so that core never imports the server; the MCP SDK is imported only when `serve` runs.
"""

from __future__ import annotations

from collections.abc import Callable


def _serve(argv: list[str]) -> int:
    from .__main__ import main as serve_main

    return int(serve_main(argv) or 0)


def main(argv: list[str] | None = None, serve: Callable[[list[str]], int] | None = None) -> int:
    import sys

    from core.claude_code import hook_client

    # A hook runs on Claude Code's critical path: hand it to the hook server before loading the command line.
    code = hook_client.hand_off(sys.argv[1:] if argv is None else argv)
    if code is not None:
        return code
    from core.cli import main as cli_main

    return cli_main(argv, serve=serve or _serve)


def script() -> None:
    """The `model-config` console script: `main`, then the process ends at once (`core.process_exit`),
    but for `serve`, whose server shuts down as usual."""
    import sys

    from core.process_exit import exit_now

    served = False

    def serve(args: list[str]) -> int:
        nonlocal served
        served = True
        return _serve(args)

    code = main(sys.argv[1:], serve)
    if served:
        sys.exit(code)
    exit_now(code)
