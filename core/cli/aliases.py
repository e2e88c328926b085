"""The flag forms the original system documented (`--status`, `--dashboard 7`, ...), as aliases of commands."""

from __future__ import annotations

# flag -> command; a flag's value (`--dashboard 7`, `--export-costs FILE`) stays where it is and
# becomes the command's argument.
LEGACY: dict[str, str] = {
    "--status": "status",
    "--budget": "budget",
    "--dashboard": "dashboard",
    "--recommendations": "recommendations",
    "--export-analytics": "export-analytics",
    "--export-costs": "export-costs",
}
# Common options that take a value, so their value is never mistaken for a command.
VALUE_OPTIONS = ("--db", "--config-dir")

LEGACY_HELP = (
    "original flag forms (still accepted): --status, --budget, --dashboard [DAYS], --recommendations,\n"
    "  --export-analytics FILE, --export-costs FILE"
)


def command_index(argv: list[str]) -> int | None:
    """Position of the command word in argv (skipping common options and their values), or None."""
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            return i + 1 if i + 1 < len(argv) else None
        if token in VALUE_OPTIONS:
            i += 2
            continue
        if not token.startswith("-"):
            return i
        i += 1
    return None


def translate_legacy(argv: list[str]) -> list[str]:
    """`--dashboard 7 --db x` -> `dashboard 7 --db x`; argv without a legacy flag comes back unchanged.

    Only a legacy flag that comes before any command word is translated, so `track ... --status`
    style values are never touched.
    """
    limit = command_index(argv)
    end = len(argv) if limit is None else limit
    i = 0
    while i < end:
        token = argv[i]
        if token in VALUE_OPTIONS:
            i += 2
            continue
        flag, eq, value = token.partition("=")
        if flag in LEGACY:
            command = LEGACY[flag]
            rest = argv[:i] + argv[i + 1 :]
            insert = [command] + ([value] if eq else [])
            return rest[:i] + insert + rest[i:]
        i += 1
    return argv
