"""`track` (record a usage by hand), `export-analytics`, `export-costs` and `prune` (retention)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..windows import from_us
from . import fmt
from .context import EXIT_USAGE, CliError, emit_json, emit_lines, open_manager
from .progress import Progress
from .style import Style


def cmd_track(args: argparse.Namespace) -> int:
    with open_manager(args) as manager:
        timestamp = args.timestamp
        if timestamp is not None and timestamp.tzinfo is None:  # a time typed at a terminal is local time
            timestamp = timestamp.replace(tzinfo=manager.settings.zone)
        record = manager.track_usage(
            args.agent,
            args.model,
            args.input_tokens,
            args.output_tokens,
            args.project,
            args.session,
            args.task,
            cache_creation_input_tokens=args.cache_write,
            cache_creation_1h_input_tokens=args.cache_write_1h,
            cache_read_input_tokens=args.cache_read,
            web_search_requests=args.web_search,
            request_id=args.request_id,
            timestamp=timestamp,
            batch=args.batch,
            fast_mode=args.fast,
        )
    if args.json:
        return emit_json(record)
    s = Style()
    if record.duplicate:
        lines = [f"Already recorded: request {record.request_id} is record {record.record_id}; nothing added"]
    else:
        cost = fmt.usd(record.total_cost) if record.priced else "no cost (unpriced model)"
        lines = [
            f"Recorded {s(cost, 'bold')} for {record.agent_type} on {record.model_type} "
            f"({fmt.count(record.input_tokens)} in, {fmt.count(record.output_tokens)} out"
            + (f", {fmt.count(record.cache_read_input_tokens)} cache read" if record.cache_read_input_tokens else "")
            + (
                f", {fmt.count(record.cache_creation_input_tokens)} cache write"
                if record.cache_creation_input_tokens
                else ""
            )
            + f")  record {record.record_id}"
        ]
    if record.price_note:
        lines.append(s(f"note: {record.price_note}", "yellow"))
    for alert in record.new_alerts:
        lines.append(
            f"{s.level(alert.level.value)}: {alert.period.value} budget ({alert.scope}) at "
            f"{fmt.usd(alert.spending)} of {fmt.usd(alert.budget_limit)}"
        )
    return emit_lines(lines)


def cmd_export_analytics(args: argparse.Namespace) -> int:
    with open_manager(args) as manager:
        path = manager.export_analytics(args.file, args.days)
    if args.json:
        return emit_json({"path": str(path.resolve()), "days": args.days})
    return emit_lines([f"Wrote the {args.days}-day analytics report to {path}"])


def cmd_export_costs(args: argparse.Namespace) -> int:
    with open_manager(args) as manager:
        start, end = manager.cost_tracker.window(args.days)
        with Progress("Exporting records", manager.ledger.count(start, end)) as progress:
            progress.update(0)
            rows = manager.export_cost_history(args.file, args.days, progress=progress.update)
    window = f"the last {args.days} day(s)" if args.days else "all time"
    if args.json:
        return emit_json({"path": str(Path(args.file).resolve()), "days": args.days, "rows": rows})
    return emit_lines([f"Wrote {fmt.count(rows)} record(s) from {window} to {args.file}"])


def cmd_prune(args: argparse.Namespace) -> int:
    with open_manager(args) as manager:
        days = args.older_than or manager.settings.cost.retention.detail_days
        if days is None:
            raise CliError(
                "nothing to prune: give --older-than DAYS, or set retention.detail_days in cost-optimization.json "
                "(nothing is deleted unless you ask)",
                EXIT_USAGE,
            )
        cutoff_us, _ = manager.cost_tracker.window(days)
        cutoff = from_us(cutoff_us).astimezone(manager.settings.zone)
        total = manager.ledger.count()
        matching = manager.ledger.count_before(cutoff_us)
        deleted = 0
        if not args.dry_run and matching:
            with Progress("Pruning records", matching) as progress:
                deleted = manager.ledger.prune_before(cutoff_us, progress=progress.update)
    source = "--older-than" if args.older_than else "retention.detail_days"
    payload = {
        "older_than_days": days,
        "source": source,
        "cutoff": cutoff,
        "dry_run": args.dry_run,
        "records_before_cutoff": matching,
        "deleted": deleted,
        "remaining": total - deleted,
    }
    if args.json:
        return emit_json(payload)
    when = f"{cutoff:%Y-%m-%d %H:%M} {manager.settings.timezone_name}"
    if args.dry_run:
        lines = [
            f"Would delete {fmt.count(matching)} of {fmt.count(total)} record(s) from before {when} "
            f"({days} days, from {source}); nothing deleted"
        ]
    else:
        lines = [
            f"Deleted {fmt.count(deleted)} of {fmt.count(total)} record(s) from before {when} "
            f"({days} days, from {source})"
        ]
    if matching:
        lines.append(
            "Budgets, dashboards and daily, agent, project and model totals keep counting them; "
            "per-request detail (history, exports, efficiency, sessions) starts at the cutoff."
        )
    return emit_lines(lines)
