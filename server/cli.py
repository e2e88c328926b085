"""The `model-config` console script: the core command line, with `serve` wired to this package.

Kept here so that core never imports the server; the MCP SDK is imported only when `serve` runs.
"""

from __future__ import annotations


def _serve(argv: list[str]) -> int:
    from .__main__ import main as serve_main

    return int(serve_main(argv) or 0)


def main(argv: list[str] | None = None) -> int:
    from core.cli import main as cli_main

    return cli_main(argv, serve=lambda args: _serve(args))
