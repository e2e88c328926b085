"""`status` and `budget`: where spending stands against every budget, and where data and config live."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ..budgets import BudgetReport, parse_period, parse_scope
from ..models import AlertLevel, BudgetAlert, BudgetPeriod, BudgetStatus
from ..money import pico_to_usd
from . import fmt
from .chart import gauge
from .context import EXIT_BUDGET, EXIT_OK, EXIT_USAGE, CliError, emit_json, emit_lines, open_manager
from .style import Style
from .tables import table


def cmd_status(args: argparse.Namespace) -> int:
    from ..config import search_dirs

    with open_manager(args) as manager:
        report = manager.get_budget_report()
        start, end = manager.cost_tracker.window(1)
        today = manager.ledger.totals("*", start, end)
        records = manager.ledger.count()
        settings = manager.settings
        db_path = manager.db_path
        today_date = report.periods["daily"].window_start.date().isoformat()
    payload: dict[str, Any] = {
        "database": {"path": db_path, "records": records, "size_bytes": _size(db_path)},
        "config": {
            "files": settings.files,
            "search_dirs": [str(d) for d in search_dirs(getattr(args, "config_dir", None))],
            "timezone": settings.timezone_name,
            "retention_detail_days": settings.cost.retention.detail_days,
        },
        "today": {
            "date": today_date,
            "cost": pico_to_usd(today.cost_pico),
            "operations": today.ops,
            "tokens": today.tokens,
            "unpriced_operations": today.unpriced_ops,
        },
        "budgets": [*report.periods.values(), *report.scoped],
        "worst_alert_level": report.worst_alert_level,
        "should_downgrade": report.should_downgrade,
        "recent_alerts": report.recent_alerts,
        "total_spending_all_time": report.total_spending_all_time,
    }
    if args.json:
        return emit_json(payload)
    s = Style()
    cfg = payload["config"]
    lines = [s.heading("model-config status")]
    lines.append(
        f"  Database   {db_path} ({fmt.count(records)} records, {_human_size(payload['database']['size_bytes'])})"
    )
    if cfg["files"]:
        lines.append(f"  Config     {cfg['files'][0]}")
        lines += [f"             {f}" for f in cfg["files"][1:]]
    else:
        lines.append(f"  Config     built-in defaults (no config files in {', '.join(cfg['search_dirs'])})")
    lines.append(f"  Time zone  {cfg['timezone']}")
    keep = cfg["retention_detail_days"]
    lines.append(f"  Retention  {'per-request detail kept ' + str(keep) + ' days' if keep else 'everything kept'}")
    t = payload["today"]
    lines += [
        "",
        f"{s.heading('Today')} ({t['date']})  {fmt.usd(t['cost'])} over {fmt.count(t['operations'])} "
        f"operation(s), {fmt.compact(t['tokens'])} tokens",
    ]
    lines += ["", s.heading("Budgets"), *budget_table(payload["budgets"], s)]
    lines += _advice(report, s)
    lines += ["", s.heading("Recent alerts (31 days)")]
    lines += alert_lines(report.recent_alerts, s) or ["  none"]
    return emit_lines(lines)


def cmd_budget(args: argparse.Namespace) -> int:
    with open_manager(args) as manager:
        report: BudgetReport | None = None
        if args.period is None and args.scope is None:
            report = manager.get_budget_report()
            statuses = [*report.periods.values(), *report.scoped]
        else:
            bm = manager.budget_manager
            scopes = [parse_scope(args.scope)] if args.scope else bm.scopes()
            periods = [parse_period(args.period)] if args.period else list(BudgetPeriod)
            statuses = [
                manager.check_budget(period, scope=scope)
                for scope in scopes
                for period in periods
                if bm.budget_for(period, scope) is not None
            ]
            if not statuses:
                what = f"{args.period} " if args.period else ""
                raise CliError(
                    f"no {what}budget is configured for scope {args.scope!r} "
                    "(scoped budgets go under scoped_budgets in cost-optimization.json)",
                    EXIT_USAGE,
                )
    failing = [st for st in statuses if st.alert_level.rank >= AlertLevel(args.fail_on).rank]
    code = EXIT_BUDGET if args.check and failing else EXIT_OK
    if args.json:
        emit_json(report if report is not None else {"budgets": statuses})
        return code
    s = Style()
    zone = statuses[0].timezone if statuses else ""
    lines = [s.heading(f"Budgets ({zone})"), *budget_table(statuses, s)]
    if report is not None:
        lines += _advice(report, s)
    unpriced = max((st.unpriced_records for st in statuses), default=0)
    if unpriced:
        lines.append(f"  {unpriced} record(s) in these windows have no known price; their cost is not counted")
    if args.check:
        if failing:
            names = ", ".join(f"{st.period.value} ({st.scope}) {st.alert_level.value}" for st in failing)
            lines.append(s(f"check failed: {names}", "red", "bold"))
        else:
            lines.append(f"check passed: no budget at {args.fail_on} or worse")
    emit_lines(lines)
    return code


def budget_table(statuses: list[BudgetStatus], s: Style) -> list[str]:
    rows = []
    for st in statuses:
        share = float(st.current_spending / st.budget_limit) if st.budget_limit else 0.0
        rows.append(
            [
                st.period.value,
                st.scope,
                fmt.usd(st.current_spending),
                fmt.usd(st.budget_limit),
                fmt.usd(st.remaining_budget),
                fmt.pct(st.percentage_used),
                gauge(share, unicode=s.unicode),
                s.level(st.alert_level.value),
                fmt.usd(st.forecasted_spending),
                fmt.when(st.window_end),
            ]
        )
    return table(
        ["PERIOD", "SCOPE", "SPENT", "LIMIT", "REMAINING", "USED", "", "LEVEL", "FORECAST", "RESETS"],
        rows,
        align="llrrrrllrl",
        style=s,
    )


def alert_lines(alerts: list[BudgetAlert], s: Style) -> list[str]:
    return [
        f"  {fmt.when(a.created_at)}  {a.period.value} {a.scope}  {s.level(a.level.value)}  "
        f"{fmt.usd(a.spending)} of {fmt.usd(a.budget_limit)}"
        for a in alerts
    ]


def _advice(report: BudgetReport, s: Style) -> list[str]:
    if report.should_downgrade:
        return ["", s("Auto-downgrade in effect: select_model picks cheaper tiers until spending falls back", "yellow")]
    return []


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover
