"""The model-config command line (placeholder until the CLI lands)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["serve"]:
        from server.__main__ import main as serve_main

        return serve_main(args[1:])
    print("usage: model-config serve", file=sys.stderr)
    return 2
