"""The argument parser: every command, its options and examples. Handlers live in the cmd_* modules."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any, NoReturn

from .aliases import LEGACY_HELP
from .context import EXIT_BUDGET

PROG = "model-config"
MAX_DAYS = 36_500


def handler(module: str, name: str) -> Callable[[argparse.Namespace], int]:
    """A command's handler, imported when that command runs: the cmd_* modules import the analytics,
    budgets and tables they need (~90 ms), which a hook or an import should not pay for."""

    def run(args: argparse.Namespace) -> int:
        return int(getattr(importlib.import_module(f"{__package__}.{module}"), name)(args))

    run.__qualname__ = f"{module}.{name}"
    return run


def add_budget_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--period", choices=["daily", "weekly", "monthly"], help="only this period")
    p.add_argument(
        "--scope",
        default=None,
        help="only this budget scope: 'global', 'project:<id>' or 'agent:<type>' (default: every scope)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help=f"exit {EXIT_BUDGET} when a budget is at --fail-on level or worse (for cron and CI)",
    )
    p.add_argument(
        "--fail-on",
        choices=["info", "warning", "critical", "exceeded"],
        default="critical",
        help="the level --check fails at (default: critical)",
    )


class Parser(argparse.ArgumentParser):
    """Errors on one line, with where to look for help; exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of days, got {text!r}") from None
    if not 1 <= value <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"days must be from 1 to {MAX_DAYS}, got {value}")
    return value


def tokens(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a non-negative number, got {text}")
    return value


def timestamp(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip().replace(" ", "T", 1))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 time such as 2025-10-05T14:30 or 2025-10-05T14:30:00Z, got {text!r}"
        ) from None


def common_parent() -> Parser:
    """--db, --config-dir and --json, accepted before or after any command.

    Defaults are SUPPRESS so a subcommand's copy never overwrites a value given before the
    command; `main` fills in None/False afterwards, so handlers always find all three.
    """
    parent = Parser(add_help=False, argument_default=argparse.SUPPRESS)
    g = parent.add_argument_group("common options")
    g.add_argument("--db", metavar="PATH", help="usage database (default: $MODEL_CONFIG_DB, else the user data dir)")
    g.add_argument(
        "--config-dir",
        metavar="DIR",
        help="read the config files from DIR only (default: $MODEL_CONFIG_DIR, else the user config dir "
        "and ./.claude/config)",
    )
    g.add_argument("--json", action="store_true", help="print JSON with stable keys instead of tables")
    return parent


def _command(
    sub: Any, common: argparse.ArgumentParser, name: str, help: str, *examples: str, func: object = None
) -> Parser:
    """A (sub)command: its help, a description made from it, the common options and its examples."""
    p: Parser = sub.add_parser(
        name,
        help=help,
        description=help[0].upper() + help[1:] + ".",
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=_examples(*examples) if examples else None,
    )
    if func is not None:
        p.set_defaults(func=func)
    return p


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def build_parser() -> tuple[Parser, argparse._SubParsersAction[Parser], Parser]:
    common = common_parent()
    parser = Parser(
        prog=PROG,
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Cost-aware model selection, usage ledger, budgets and analytics for Claude agents.",
        epilog=_examples(
            f"{PROG} status                      where spending stands today",
            f"{PROG} track backend-engineer sonnet 30000 10000 --project api",
            f"{PROG} dashboard 30 --json          a month of analytics for scripts",
            f"{PROG} budget --check               exit 3 when a budget is critical (cron, CI)",
            f"{PROG} <command> --help             options and examples of a command",
        )
        + "\n\nexit codes: 0 ok, 1 error, 2 usage error, 3 budget --check failed\n"
        + LEGACY_HELP,
    )
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands", parser_class=Parser)

    def add(name: str, help: str, *examples: str, func: object = None) -> Parser:
        return _command(sub, common, name, help, *examples, func=func)

    add(
        "status",
        "budgets for every period, today's spend, alerts, and where data and config live",
        f"{PROG} status",
        f"{PROG} status --json | jq .today.cost",
        func=handler("cmd_budget", "cmd_status"),
    )

    p = add(
        "budget",
        "spending against each budget, with forecasts",
        f"{PROG} budget",
        f"{PROG} budget --period weekly",
        f"{PROG} budget --scope project:api",
        f"{PROG} budget --check || notify-send 'AI budget critical'",
        f"{PROG} budget --check --fail-on warning --json",
        func=handler("cmd_budget", "cmd_budget"),
    )
    add_budget_args(p)

    p = add(
        "dashboard",
        "totals, spend per day, top agents, models and projects",
        f"{PROG} dashboard",
        f"{PROG} dashboard 30",
        f"{PROG} dashboard 7 --json",
        func=handler("cmd_analytics", "cmd_dashboard"),
    )
    p.add_argument(
        "days", nargs="?", type=days, default=7, metavar="DAYS", help="window in days, today included (default 7)"
    )

    p = add(
        "recommendations",
        "optimization recommendations with the monthly saving of each",
        f"{PROG} recommendations",
        f"{PROG} recommendations --days 30 --json",
        func=handler("cmd_analytics", "cmd_recommendations"),
    )
    p.add_argument("--days", type=days, default=7, help="window in days (default 7)")

    p = add(
        "efficiency",
        "how efficiently one agent type uses its models",
        f"{PROG} efficiency backend-engineer",
        f"{PROG} efficiency software-architect --days 7 --json",
        func=handler("cmd_analytics", "cmd_efficiency"),
    )
    p.add_argument("agent", metavar="AGENT", help="agent type, as recorded")
    p.add_argument("--days", type=days, default=30, help="window in days (default 30)")

    p = add(
        "roi",
        "return on AI spend: time saved against cost",
        f"{PROG} roi",
        f"{PROG} roi --days 90 --hourly-rate 120",
        func=handler("cmd_analytics", "cmd_roi"),
    )
    p.add_argument("--days", type=days, default=30, help="window in days (default 30)")
    p.add_argument(
        "--hourly-rate",
        type=rate,
        default=None,
        metavar="USD",
        help="value of an hour of work (default: roi.hourly_rate in the config, 75)",
    )

    p = add(
        "summary",
        "cost per agent, project, session, model or date",
        f"{PROG} summary --by project --days 30",
        f"{PROG} summary --by model --agent backend-engineer",
        f"{PROG} summary --by date --days 14 --json",
        func=handler("cmd_analytics", "cmd_summary"),
    )
    p.add_argument(
        "--by",
        choices=["agent", "project", "session", "model", "date"],
        default="agent",
        help="dimension (default agent)",
    )
    p.add_argument("--days", type=days, default=None, help="window in days (default: all time)")
    _filters(p)

    p = add(
        "history",
        "the most recent usage records",
        f"{PROG} history",
        f"{PROG} history --limit 50 --project api",
        func=handler("cmd_analytics", "cmd_history"),
    )
    p.add_argument("--days", type=days, default=None, help="window in days (default: all time)")
    p.add_argument("--limit", type=_limit, default=20, help="how many records, newest first (default 20, at most 1000)")
    _filters(p)

    p = add(
        "models",
        "the priced model catalogue and the tier mapping",
        f"{PROG} models",
        f"{PROG} models --tier haiku",
        f"{PROG} models --json",
        func=handler("cmd_models", "cmd_models"),
    )
    p.add_argument("--tier", choices=["haiku", "sonnet", "opus"], help="only models of this tier")

    p = add(
        "select",
        "which model an agent should use for a task, and why",
        f"{PROG} select software-architect --task 'Design the payment service'",
        f"{PROG} select code-formatter --profile fast --tokens 5000 --json",
        func=handler("cmd_models", "cmd_select"),
    )
    p.add_argument("agent", metavar="AGENT", help="agent type, e.g. backend-engineer")
    p.add_argument("--task", help="task description (drives the complexity analysis)")
    p.add_argument("--profile", choices=["fast", "balanced", "quality"], default=None, help="performance profile")
    p.add_argument("--tokens", type=tokens, default=10_000, help="estimated tokens (default 10000)")
    p.add_argument("--project", help="project id (project budgets apply)")

    p = add(
        "export-analytics",
        "write the analytics report (dashboard, budgets, efficiency, ROI, advice) as JSON",
        f"{PROG} export-analytics report.json",
        f"{PROG} export-analytics q3.json --days 90",
        func=handler("cmd_data", "cmd_export_analytics"),
    )
    p.add_argument("file", metavar="FILE", help="output file (replaced atomically)")
    p.add_argument("--days", type=days, default=30, help="window in days (default 30)")

    p = add(
        "export-costs",
        "write usage records as CSV",
        f"{PROG} export-costs costs.csv",
        f"{PROG} export-costs last-week.csv --days 7",
        func=handler("cmd_data", "cmd_export_costs"),
    )
    p.add_argument("file", metavar="FILE", help="output file (replaced atomically)")
    p.add_argument("--days", type=days, default=None, help="window in days (default: every record)")

    p = add(
        "track",
        "record one model call by hand",
        f"{PROG} track backend-engineer claude-sonnet-4-5 30000 10000 --project api-redesign",
        f"{PROG} track reviewer haiku 12000 800 --cache-read 40000 --task 'Review PR 12'",
        f"{PROG} track main opus 1000 200 --request-id req_01 --timestamp 2025-10-05T14:30",
        func=handler("cmd_data", "cmd_track"),
    )
    p.add_argument("agent", metavar="AGENT", help="agent type, e.g. backend-engineer")
    p.add_argument("model", metavar="MODEL", help="model id or alias (opus, sonnet, haiku)")
    p.add_argument("input_tokens", metavar="INPUT_TOKENS", type=tokens, help="uncached input tokens")
    p.add_argument("output_tokens", metavar="OUTPUT_TOKENS", type=tokens, help="output tokens")
    p.add_argument("--project", help="project id")
    p.add_argument("--session", help="session id")
    p.add_argument("--task", help="task description (its complexity is recorded)")
    p.add_argument("--cache-write", type=tokens, default=None, metavar="N", help="cache creation tokens (all TTLs)")
    p.add_argument("--cache-write-1h", type=tokens, default=None, metavar="N", help="of which written with a 1h TTL")
    p.add_argument("--cache-read", type=tokens, default=0, metavar="N", help="cache read tokens")
    p.add_argument("--web-search", type=tokens, default=0, metavar="N", help="web search requests")
    p.add_argument("--request-id", help="idempotency key: recording the same request again adds nothing")
    p.add_argument("--timestamp", type=timestamp, help="when the call happened (ISO 8601; default now; no zone: local)")
    p.add_argument("--batch", action="store_true", help="sent through the Batch API (half price)")
    p.add_argument("--fast", action="store_true", help="fast mode")

    p = add(
        "prune",
        "delete per-request detail older than N days; daily and monthly totals stay",
        f"{PROG} prune --older-than 30 --dry-run",
        f"{PROG} prune --older-than 30",
        f"{PROG} prune            uses retention.detail_days from cost-optimization.json",
        func=handler("cmd_data", "cmd_prune"),
    )
    p.add_argument(
        "--older-than",
        type=days,
        default=None,
        metavar="DAYS",
        help="keep today and the DAYS-1 days before it in full detail (default: retention.detail_days)",
    )
    p.add_argument("--dry-run", action="store_true", help="only count what would be deleted")

    p = add(
        "config",
        "create, show and check the configuration files",
        f"{PROG} config init",
        f"{PROG} config show",
        f"{PROG} config validate",
    )
    csub = p.add_subparsers(dest="config_command", metavar="ACTION", title="actions", parser_class=Parser)
    csub.required = True

    def cadd(name: str, help: str, *examples: str, func: object) -> Parser:
        return _command(csub, common, name, help, *examples, func=func)

    q = cadd(
        "init",
        "write cost-optimization.json and agent-model-mapping.json with the defaults",
        f"{PROG} config init                      into ./.claude/config (or --config-dir / $MODEL_CONFIG_DIR)",
        f"{PROG} config init --user               into the user config dir",
        f"{PROG} config init --force",
        func=handler("cmd_config", "cmd_config_init"),
    )
    q.add_argument("--user", action="store_true", help="write to the user config dir instead of the project")
    q.add_argument("--force", action="store_true", help="overwrite existing files")
    q = cadd(
        "show",
        "print the effective configuration and the source of each value",
        f"{PROG} config show",
        f"{PROG} config show cost.budget_limits.daily",
        f"{PROG} config show --json",
        func=handler("cmd_config", "cmd_config_show"),
    )
    q.add_argument("key", nargs="?", metavar="KEY", help="only this dotted key or section")
    q = cadd(
        "validate",
        "check config files and name each problem",
        f"{PROG} config validate",
        f"{PROG} config validate ./cost-optimization.json",
        func=handler("cmd_config", "cmd_config_validate"),
    )
    q.add_argument("files", nargs="*", metavar="FILE", help="files to check (default: every config file in use)")

    add(
        "serve",
        "run the MCP server (stdio by default; see 'model-config serve --help')",
        f"{PROG} serve",
        f"{PROG} serve --transport http --port 8765",
    )
    return parser, sub, common


def _filters(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("filters")
    g.add_argument("--agent", help="only this agent type")
    g.add_argument("--project", help="only this project id")
    g.add_argument("--session", help="only this session id")
    g.add_argument("--model", help="only this model id")


def _limit(text: str) -> int:
    value = tokens(text)
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"must be from 1 to 1000, got {value}")
    return value


class _VersionAction(argparse.Action):
    """--version, looked up only when asked for (package metadata is slow to read)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        sys.stdout.write(f"{parser.prog} {_version()}\n")
        parser.exit(0)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("model-config")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"
