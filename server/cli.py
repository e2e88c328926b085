"""The `model-config` console script: the core command line, with `serve` wired to this package.

Kept here so that core never imports the server; the MCP SDK is imported only when `serve` runs.
"""

from __future__ import annotations


def _serve(argv: list[str]) -> int:
    from .__main__ import main as serve_main

    return int(serve_main(argv) or 0)


def main(argv: list[str] | None = None) -> int:
    import sys

    from core.claude_code import hook_client

    # A hook runs on Claude Code's critical path: hand it to the hook server before loading the command line.
    hook = hook_client.parse_hook_argv(sys.argv[1:] if argv is None else argv)
    if hook is not None:
        return hook_client.run_hook_command(*hook)
    from core.cli import main as cli_main

    return cli_main(argv, serve=lambda args: _serve(args))


def script() -> None:
    """The `model-config` console script: `main`, then the process ends at once (`core.process_exit`),
    but for `serve`, whose server shuts down as usual."""
    import sys

    from core.claude_code import hook_client
    from core.process_exit import exit_now

    argv = sys.argv[1:]
    code = main(argv)
    if hook_client.parse_hook_argv(argv) is None:
        from core.cli.aliases import command_index, translate_legacy

        args = translate_legacy(list(argv))
        at = command_index(args)
        if at is not None and args[at] == "serve":
            sys.exit(code)
    exit_now(code)
