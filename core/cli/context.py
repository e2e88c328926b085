"""What every command handler shares: opening the manager from --db/--config-dir, and JSON output.

Handler convention (also for subcommands registered by other packages): `args.func(args) -> int`,
with `args.db` (str | None), `args.config_dir` (str | None) and `args.json` (bool) always present.
Raise `CliError` (or any `core.errors.ModelConfigError`) for a failure the user can fix: `main`
prints it on one line and exits 1 (2 for `InvalidUsage` and `CliError(..., code=2)`).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ..errors import ModelConfigError

if TYPE_CHECKING:
    from ..manager import ModelConfigManager

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_BUDGET = 3  # budget --check: a budget reached the failing level


class CliError(ModelConfigError):
    "A command could not do what was asked; the message says why and what to do."

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


def config_dir_arg(args: argparse.Namespace) -> str | None:
    """--config-dir, checked: a mistyped directory must not silently mean 'defaults'."""
    value = getattr(args, "config_dir", None)
    if value is None:
        return None
    path = Path(value).expanduser()
    if not path.exists():
        raise CliError(
            f"config directory {path} does not exist (create it with 'model-config config init --config-dir {path}')",
            EXIT_USAGE,
        )
    if not path.is_dir():
        raise CliError(f"--config-dir {path} is not a directory", EXIT_USAGE)
    return str(path)


def open_manager(args: argparse.Namespace) -> ModelConfigManager:
    from ..manager import ModelConfigManager

    db = getattr(args, "db", None)
    if db is not None and Path(db).expanduser().is_dir():
        raise CliError(f"--db {db} is a directory; give the database file, e.g. {Path(db) / 'usage.db'}", EXIT_USAGE)
    return ModelConfigManager(db_path=Path(db).expanduser() if db else None, config_dir=config_dir_arg(args))


def jsonable(value: Any) -> Any:
    """Plain JSON values: models dumped in JSON mode, other Decimal dollars as numbers, times as ISO 8601."""
    if isinstance(value, BaseModel):
        # JSON mode, as the MCP tools serialise: Money as numbers, times as ISO 8601 ("Z" for UTC).
        return value.model_dump(mode="json")
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    return value


def emit_json(payload: Any) -> int:
    sys.stdout.write(json.dumps(jsonable(payload), indent=2, ensure_ascii=False) + "\n")
    return EXIT_OK


def emit_lines(lines: list[str]) -> int:
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK
