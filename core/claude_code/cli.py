"""The Claude Code subcommands: `import claude-code`, `hook EVENT`, `install-hooks`, `agents`.

`register(subparsers, parents)` adds them to the `model-config` parser; each handler takes the
parsed arguments (with `db`, `config_dir` and `json`) and returns an exit code.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from ..cli.context import CliError, emit_json, emit_lines, open_manager
from ..cli.progress import Progress


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date such as 2026-01-31, got {text!r}") from None


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of days, got {text!r}") from None
    if not 1 <= value <= 36_500:
        raise argparse.ArgumentTypeError(f"days must be from 1 to 36500, got {value}")
    return value


def register(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    p = subparsers.add_parser(
        "import", parents=parents, formatter_class=fmt,
        help="import real usage recorded by another tool (claude-code: Claude Code's transcripts)",
        description="Import the usage Claude Code recorded in its transcripts into the ledger. Incremental: "
                    "only what was appended since the last import is read; importing twice adds nothing.",
        epilog="examples:\n  model-config import claude-code\n  model-config import claude-code --since 2026-01-01\n"
               "  model-config import claude-code --path ~/backup/claude --json",
    )
    p.add_argument("source", choices=["claude-code"], help="where the usage comes from")
    p.add_argument("--path", action="append", metavar="P",
                   help="a Claude config dir, projects dir, project folder or .jsonl file (repeatable; default: "
                        "$CLAUDE_CONFIG_DIR, ~/.config/claude and ~/.claude)")
    p.add_argument("--since", type=_date, metavar="DATE", help="only records from this local date on (YYYY-MM-DD)")
    p.set_defaults(func=cmd_import)

    h = subparsers.add_parser(
        "hook", parents=parents, formatter_class=fmt,
        help="run as a Claude Code hook (reads the hook's JSON on stdin; always exits 0)",
        description="Entry points for Claude Code hooks; see 'model-config install-hooks'.",
    )
    events = h.add_subparsers(dest="hook_event", metavar="EVENT", required=True)
    for name, text in (
        ("stop", "import this session's new usage (Stop hook)"),
        ("subagent-stop", "import the finished subagent's usage (SubagentStop hook)"),
        ("pre-tool-use", "budget gate for the Agent/Task tool: deny, or downgrade the subagent model"),
        ("session-start", "add a one-line budget status to the conversation"),
    ):
        e = events.add_parser(name, parents=parents, help=text, description=text[0].upper() + text[1:] + ".")
        e.set_defaults(func=cmd_hook, hook=name)

    i = subparsers.add_parser(
        "install-hooks", parents=parents, formatter_class=fmt,
        help="add model-config's hooks to Claude Code's settings.json (keeps existing hooks)",
        description="Merge the Stop, SubagentStop, PreToolUse (Agent|Task) and SessionStart hooks into "
                    "settings.json. Idempotent; the file is backed up before it is changed.",
        epilog="examples:\n  model-config install-hooks --dry-run\n  model-config install-hooks --project",
    )
    where = i.add_mutually_exclusive_group()
    where.add_argument("--user", dest="scope", action="store_const", const="user",
                       help="~/.claude/settings.json (default)")
    where.add_argument("--project", dest="scope", action="store_const", const="project",
                       help=".claude/settings.json of the current project")
    i.add_argument("--dry-run", action="store_true", help="show the change as a diff, write nothing")
    i.add_argument("--command", metavar="CMD", help="how Claude Code should run model-config "
                                                    "(default: the installed model-config)")
    i.set_defaults(func=cmd_install_hooks)

    a = subparsers.add_parser(
        "agents", parents=parents, formatter_class=fmt,
        help="subagents (.claude/agents/*.md): configured model, recommended model, real spend",
        description="For each subagent definition (project and user), show its configured model, the model "
                    "the selector recommends for its description, and its spend from the ledger. --apply "
                    "rewrites `model:` where they differ.",
        epilog="examples:\n  model-config agents\n  model-config agents --apply --yes",
    )
    a.add_argument("--days", type=_days, default=30, help="spend over the last N days (default 30)")
    a.add_argument("--apply", action="store_true", help="rewrite the frontmatter model where it differs")
    a.add_argument("--yes", action="store_true", help="with --apply: do not ask for confirmation")
    a.set_defaults(func=cmd_agents)


# -- import ---------------------------------------------------------------------------------------


def cmd_import(args: argparse.Namespace) -> int:
    from .importer import ImportProgress, import_claude_code

    manager = open_manager(args)
    try:
        bar = Progress("Importing Claude Code transcripts", unit="bytes", enabled=None if not args.json else False)

        def progress(p: ImportProgress) -> None:
            bar.total = p.bytes_total or None
            bar.detail = f"{p.files_done:,}/{p.files_total:,} files"
            bar.update(p.bytes_done)

        with bar:
            summary = import_claude_code(manager, args.path, args.since, progress)
    finally:
        manager.close()
    if args.json:
        return emit_json(summary)
    unknown = ", ".join(f"{m} ({n})" for m, n in summary.unknown_models.items()) or "none"
    lines = [
        f"files              {summary.files:,} ({summary.files_read:,} with new data"
        + (f", {summary.files_restarted:,} replaced or truncated" if summary.files_restarted else "") + ")",
        f"lines              {summary.lines:,}",
        f"new records        {summary.new_records:,}",
        f"duplicates skipped {summary.duplicates_skipped:,}",
        f"superseded         {summary.superseded:,}",
        f"malformed lines    {summary.malformed_lines:,}",
        f"unknown models     {unknown}",
        f"elapsed            {summary.elapsed_seconds:.2f} s",
    ]
    if summary.skipped_before_since:
        lines.insert(4, f"before --since     {summary.skipped_before_since:,} (not imported)")
    if not summary.files:
        lines.append("no transcripts found in: " + (", ".join(summary.roots) or "(no Claude Code config directory)"))
    for error in summary.errors:
        lines.append(f"error: {error}")
    return emit_lines(lines)


# -- hooks ----------------------------------------------------------------------------------------


def cmd_hook(args: argparse.Namespace) -> int:
    from . import hooks

    return hooks.run(args.hook, lambda: open_manager(args))


def cmd_install_hooks(args: argparse.Namespace) -> int:
    from . import settings_merge

    path = settings_merge.settings_path(args.scope or "user")
    base = args.command or settings_merge.default_command()
    extra: list[str] = []
    if args.db:
        extra += ["--db", str(Path(args.db).expanduser().absolute())]
    if args.config_dir:
        extra += ["--config-dir", str(Path(args.config_dir).expanduser().absolute())]
    try:
        result = settings_merge.install(path, base, extra, dry_run=args.dry_run)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        return emit_json({"path": result.path, "changed": result.changed, "written": result.written,
                          "backup": result.backup, "diff": result.diff})
    if not result.changed:
        return emit_lines([f"{path}: model-config hooks already installed; nothing to change"])
    out = [result.diff.rstrip("\n")]
    if result.written:
        out.append(f"wrote {path}" + (f" (backup: {result.backup})" if result.backup else ""))
    else:
        out.append("dry run: nothing written")
    return emit_lines(out)


# -- agents ---------------------------------------------------------------------------------------


def cmd_agents(args: argparse.Namespace) -> int:
    import difflib

    from .agents import advise, agent_dirs, find_agents, rewrite, with_model

    agents = find_agents()
    manager = open_manager(args)
    try:
        advice = advise(manager, agents, args.days)
    finally:
        manager.close()
    changes = [(ag, ad) for ag, ad in zip(agents, advice, strict=True) if ad.differs]
    if not args.apply:
        if args.json:
            return emit_json({"agents": advice})
        if not agents:
            return emit_lines(["no subagents found in "
                               + " or ".join(f"{folder} ({scope})" for scope, folder in agent_dirs())])
        rows = [("agent", "scope", "configured", "recommended", f"spend ({args.days}d)", "ops", "")]
        for ad in advice:
            rows.append((ad.name, ad.scope, ad.configured_model, ad.recommended_model, f"${ad.spend_usd:,.2f}",
                         f"{ad.operations:,}", "differs" if ad.differs else ""))
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
        if changes:
            lines.append(f"{len(changes)} subagent(s) differ; 'model-config agents --apply' rewrites their model")
        return emit_lines(lines)
    if not changes:
        return emit_lines(["every subagent already uses the recommended model; nothing to change"])
    diffs = []
    for agent, ad in changes:
        new_text = with_model(agent.text, ad.recommended_model)
        diffs.append((agent, new_text, "".join(difflib.unified_diff(
            agent.text.splitlines(keepends=True), new_text.splitlines(keepends=True),
            fromfile=str(agent.path), tofile=f"{agent.path} (model: {ad.recommended_model})"))))
    if not args.json:
        sys.stdout.write("".join(d for _, _, d in diffs))
    if not args.yes:
        if not sys.stdin.isatty():
            raise CliError("--apply needs confirmation: run it in a terminal, or add --yes", 2)
        answer = input(f"Rewrite {len(diffs)} file(s)? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            return emit_lines(["nothing changed"])
    written = []
    for agent, new_text, _ in diffs:
        backup = rewrite(agent, new_text)
        written.append({"path": str(agent.path), "backup": str(backup)})
    if args.json:
        return emit_json({"agents": advice, "written": written, "diff": "".join(d for _, _, d in diffs)})
    return emit_lines([f"rewrote {w['path']} (backup: {w['backup']})" for w in written])
