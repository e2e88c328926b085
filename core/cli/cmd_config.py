"""`config init`, `config show` and `config validate`: the two JSON files of the original system."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from ..config import COST_FILE, MAPPING_FILE, CostConfig, MappingConfig, load_settings, search_dirs, user_config_dir
from ..config import project_dir as _project_dir
from ..files import atomic_file
from .context import EXIT_ERROR, EXIT_OK, CliError, config_dir_arg, emit_json, emit_lines, jsonable
from .style import Style
from .tables import table

COST_COMMENT = (
    "model-config budgets and pricing. Limits are USD per calendar window in 'timezone' (null: the system's); "
    "alert thresholds are shares of the limit. retention.detail_days (null: keep everything) is used by "
    "'model-config prune'. Keys starting with '_' are ignored. Check with 'model-config config validate'."
)
MAPPING_COMMENT = (
    "Agent type -> tier ('haiku', 'sonnet', 'opus') or a model id, e.g. \"software-architect\": \"opus\". "
    "'tiers' says which model each tier means. Unlisted agents are matched by role (architect -> opus, "
    "engineer -> sonnet, formatter -> haiku), else default_tier (null: sonnet)."
)


def default_documents() -> dict[str, dict[str, Any]]:
    """The two files as `config init` writes them: every default spelled out."""
    return {
        COST_FILE: {"_comment": COST_COMMENT, **jsonable(CostConfig().model_dump())},
        MAPPING_FILE: {"_comment": MAPPING_COMMENT, **jsonable(MappingConfig().model_dump())},
    }


def init_target(args: argparse.Namespace) -> Path:
    if args.user:
        return user_config_dir()
    if args.config_dir:
        return Path(args.config_dir).expanduser()
    if os.environ.get("MODEL_CONFIG_DIR"):
        return Path(os.environ["MODEL_CONFIG_DIR"]).expanduser()
    return _project_dir() / ".claude" / "config"


def cmd_config_init(args: argparse.Namespace) -> int:
    target = init_target(args)
    if target.exists() and not target.is_dir():
        raise CliError(f"{target} exists and is not a directory")
    docs = default_documents()
    existing = [target / name for name in docs if (target / name).exists()]
    if existing and not args.force:
        names = ", ".join(str(p) for p in existing)
        raise CliError(
            f"{names} already exist{'s' if len(existing) == 1 else ''}; nothing written "
            "(use --force to overwrite with the defaults)"
        )
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, doc in docs.items():
        path = target / name
        with atomic_file(path) as handle:
            handle.write(json.dumps(doc, indent=2) + "\n")
        written.append(str(path))
    if args.json:
        return emit_json({"directory": str(target), "written": written, "overwritten": [str(p) for p in existing]})
    lines = [f"{'Overwrote' if Path(w) in existing else 'Wrote'} {w}" for w in written]
    lines.append("Edit the budget limits, then check with 'model-config config validate' and 'model-config status'.")
    return emit_lines(lines)


def flatten(value: Any, prefix: str, out: dict[str, Any]) -> dict[str, Any]:
    """Dotted keys as `Settings.sources` names them (an empty section is one value)."""
    if isinstance(value, dict) and value:
        for key, sub in value.items():
            flatten(sub, f"{prefix}{key}.", out)
    else:
        out[prefix.rstrip(".")] = value
    return out


def cmd_config_show(args: argparse.Namespace) -> int:
    config_dir = config_dir_arg(args)
    settings = load_settings(config_dir)
    values = flatten(
        {"cost": jsonable(settings.cost.model_dump()), "mapping": jsonable(settings.mapping.model_dump())}, "", {}
    )
    if args.key:
        values = {k: v for k, v in values.items() if k == args.key or k.startswith(args.key.rstrip(".") + ".")}
        if not values:
            raise CliError(f"no configuration key {args.key!r} (try 'model-config config show' for the list)")
    entries = {k: {"value": v, "source": settings.sources.get(k, "default")} for k, v in values.items()}
    if args.json:
        return emit_json(
            {
                "files": settings.files,
                "search_dirs": [str(d) for d in search_dirs(config_dir)],
                "timezone": settings.timezone_name,
                "values": entries,
            }
        )
    s = Style()
    lines = [s.heading("Effective configuration")]
    lines.append(f"  Files read: {', '.join(settings.files) if settings.files else 'none (built-in defaults)'}")
    lines.append(f"  Searched:   {', '.join(str(d) for d in search_dirs(config_dir))} (later wins)")
    lines.append(f"  Time zone:  {settings.timezone_name}")
    lines.append("")
    rows = [
        [k, json.dumps(e["value"]), e["source"] if e["source"] != "default" else s("default", "dim")]
        for k, e in entries.items()
    ]
    lines += table(["KEY", "VALUE", "SOURCE"], rows, align="lll", style=s)
    return emit_lines(lines)


def validation_targets(args: argparse.Namespace) -> list[Path]:
    if args.files:
        return [Path(f).expanduser() for f in args.files]
    found = []
    for directory in search_dirs(config_dir_arg(args)):
        found += [directory / name for name in (COST_FILE, MAPPING_FILE) if (directory / name).is_file()]
    return found


def cmd_config_validate(args: argparse.Namespace) -> int:
    from ..config import validate_file
    from ..errors import ConfigError

    results = []
    for path in validation_targets(args):
        if not path.exists():
            problems = ["file does not exist"]
        elif not path.is_file():
            problems = ["is not a file"]
        else:
            problems = validate_file(path)
        results.append({"path": str(path), "problems": problems})
    merged: list[str] = []
    if not args.files and all(not r["problems"] for r in results):
        # Files valid one by one can still clash once layered (e.g. thresholds split across files).
        try:
            load_settings(config_dir_arg(args))
        except ConfigError as exc:
            merged.append(str(exc))
    valid = not merged and all(not r["problems"] for r in results)
    code = EXIT_OK if valid else EXIT_ERROR
    if args.json:
        emit_json({"valid": valid, "files": results, "merged_problems": merged})
        return code
    s = Style()
    ok, bad = ("✓", "✗") if s.unicode else ("ok", "FAIL")
    lines = []
    if not results:
        dirs = ", ".join(str(d) for d in search_dirs(config_dir_arg(args)))
        lines.append(
            f"No config files found in {dirs}; the built-in defaults are in use "
            "(write them with 'model-config config init')"
        )
    for r in results:
        if r["problems"]:
            lines.append(f"{s(bad, 'red', 'bold')} {r['path']}: {len(r['problems'])} problem(s)")
            lines += [f"    {p}" for p in r["problems"]]
        else:
            lines.append(f"{s(ok, 'green')} {r['path']}")
    lines += [f"{s(bad, 'red', 'bold')} combined configuration: {m}" for m in merged]
    emit_lines(lines)
    return code
