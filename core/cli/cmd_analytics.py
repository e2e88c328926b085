"""`dashboard`, `recommendations`, `efficiency`, `roi`, `summary`, `history`: what was spent, where, what to change."""

from __future__ import annotations

import argparse
import shutil
import textwrap
from datetime import timedelta
from decimal import Decimal

from ..analytics import Dashboard
from . import fmt
from .chart import bar_lines, group_points
from .context import emit_json, emit_lines, open_manager
from .style import Style
from .tables import table


def cmd_dashboard(args: argparse.Namespace) -> int:
    with open_manager(args) as manager:
        dash = manager.get_dashboard(args.days)
    if args.json:
        return emit_json(dash)
    return emit_lines(dashboard_lines(dash, Style()))


def dashboard_lines(d: Dashboard, s: Style) -> list[str]:
    m = d.summary
    lines = [
        s.heading(f"Dashboard: last {d.days} day(s)")
        + f"  {d.start:%Y-%m-%d} to {d.end - timedelta(days=1):%Y-%m-%d} ({d.timezone})",
        f"  Total {s(fmt.usd(m.total_cost), 'bold')} {s.dot} {fmt.count(m.total_operations)} operation(s) {s.dot} "
        f"{fmt.compact(m.total_tokens)} tokens {s.dot} {fmt.usd(m.average_cost_per_operation)}/operation",
    ]
    if m.total_tokens:
        lines.append(
            f"  Tokens: {fmt.compact(m.input_tokens)} input, {fmt.compact(m.output_tokens)} output, "
            f"{fmt.compact(m.cache_creation_input_tokens)} cache write, "
            f"{fmt.compact(m.cache_read_input_tokens)} cache read"
        )
    if m.unpriced_operations:
        lines.append(
            s(
                f"  {m.unpriced_operations} operation(s) used models with no known price; their cost is not counted",
                "yellow",
            )
        )
    if not m.total_operations:
        lines += ["", "  No usage recorded in this window. Record some with 'model-config track' (see --help)."]
        return lines
    unit, points = group_points([(p.date, p.cost) for p in d.daily], d.days)
    width = max(10, min(50, shutil.get_terminal_size((80, 24)).columns - 30))
    lines += ["", s.heading(f"Spend per {unit}")]
    lines += bar_lines(points, [fmt.usd(v) for _, v in points], width, unicode=s.unicode)
    lines += ["", s.heading("Top agents") + (f" (of {d.agents_total})" if d.agents_total > len(d.top_agents) else "")]
    lines += table(
        ["AGENT", "COST", "SHARE", "OPS", "TOKENS"],
        [
            [a.agent_type, fmt.usd(a.cost), fmt.pct(a.percentage), fmt.count(a.operations), fmt.compact(a.tokens)]
            for a in d.top_agents
        ],
        style=s,
    )
    lines += ["", s.heading("Models")]
    lines += table(
        ["MODEL", "COST", "SHARE", "OPS", "OPS SHARE", "TOKENS"],
        [
            [
                name,
                fmt.usd(v.total_cost),
                fmt.pct(v.percentage_cost),
                fmt.count(v.operations),
                fmt.pct(v.percentage_operations),
                fmt.compact(v.total_tokens),
            ]
            for name, v in d.model_distribution.items()
        ],
        style=s,
    )
    if d.projects:
        lines += [
            "",
            s.heading("Projects") + (f" (of {d.projects_total})" if d.projects_total > len(d.projects) else ""),
        ]
        lines += table(
            ["PROJECT", "COST", "SHARE", "OPS", "TOKENS"],
            [
                [p.project_id, fmt.usd(p.cost), fmt.pct(p.percentage), fmt.count(p.operations), fmt.compact(p.tokens)]
                for p in d.projects
            ],
            style=s,
        )
    return lines


def cmd_recommendations(args: argparse.Namespace) -> int:
    with open_manager(args) as manager:
        recs = manager.get_optimization_recommendations(args.days)
        start, end = manager.cost_tracker.window(args.days)
        ops = manager.ledger.totals("*", start, end).ops
    total = sum((r.estimated_monthly_saving_usd for r in recs), Decimal(0))
    if args.json:
        return emit_json(
            {"days": args.days, "operations": ops, "estimated_monthly_saving_usd": total, "recommendations": recs}
        )
    s = Style()
    lines = [s.heading(f"Recommendations from the last {args.days} day(s)")]
    if not recs:
        lines.append(
            "  No usage recorded in this window: nothing to recommend yet."
            if not ops
            else f"  Nothing to change: {fmt.count(ops)} operation(s) look right-sized, cached and within budget."
        )
        return emit_lines(lines)
    if total:
        lines.append(f"  Potential saving: ~{fmt.usd(total)} per month")
    wrap = max(40, min(100, shutil.get_terminal_size((100, 24)).columns) - 5)
    for i, r in enumerate(recs, 1):
        saving = f"  (saves ~{fmt.usd(r.estimated_monthly_saving_usd)}/month)" if r.estimated_monthly_saving_usd else ""
        lines += ["", f"{i:>3}. {s(r.title, 'bold')}{s(saving, 'green')}  [{r.kind}]"]
        lines += textwrap.wrap(r.detail, wrap, initial_indent="     ", subsequent_indent="     ")
    return emit_lines(lines)


def cmd_efficiency(args: argparse.Namespace) -> int:
    with open_manager(args) as manager:
        e = manager.get_agent_efficiency(args.agent, args.days)
    if args.json:
        return emit_json(e)
    s = Style()
    lines = [
        s.heading(f"Efficiency of {e.agent_type}: last {e.days} day(s)"),
        f"  Score           {s(f'{e.efficiency_score:.1f}', 'bold')}/100  "
        + ", ".join(f"{k.replace('_', ' ')} {v:g}" for k, v in e.score_breakdown.items()),
        f"  Operations      {fmt.count(e.total_operations)}",
        f"  Cost            {fmt.usd(e.total_cost)} ({fmt.usd(e.average_cost_per_operation)}/operation)",
        f"  Tokens          {fmt.count(e.total_tokens)} ({e.cache_hit_ratio:.0%} of input read from cache)",
        f"  Preferred model {e.preferred_model or '-'}",
    ]
    if e.model_usage:
        lines += ["", s.heading("Operations per model")]
        lines += table(["MODEL", "OPS"], [[m, fmt.count(n)] for m, n in e.model_usage.items()], style=s)
    if e.optimization_opportunities:
        lines += ["", s.heading("Opportunities")] + [f"  {s.dot} {o}" for o in e.optimization_opportunities]
    return emit_lines(lines)


def cmd_roi(args: argparse.Namespace) -> int:
    with open_manager(args) as manager:
        r = manager.calculate_roi(args.days, args.hourly_rate)
    if args.json:
        return emit_json(r)
    s = Style()
    a = r.assumptions
    lines = [
        s.heading(f"Return on AI spend: last {r.time_period_days} day(s)"),
        f"  Cost               {fmt.usd(r.total_cost)} over {fmt.count(r.total_operations)} operation(s)",
        f"  Time saved         {r.estimated_time_saved_hours:,.1f} h",
        f"  Labour value       {fmt.usd(r.estimated_labor_cost_saved)}",
        f"  Net benefit        {fmt.usd(r.net_benefit)}",
        f"  ROI                {'-' if r.roi_percentage is None else f'{r.roi_percentage:,.1f}%'}",
        f"  Break-even         {r.breakeven_point}",
        f"  Assumptions        {a.minutes_saved_per_operation:g} min saved/operation, "
        f"{a.realization_rate:.0%} realised, ${a.hourly_rate:,.2f}/h",
    ]
    if r.recommendations:
        lines += ["", s.heading("Advice")] + [f"  {s.dot} {x}" for x in r.recommendations]
    return emit_lines(lines)


def _filters(args: argparse.Namespace) -> dict[str, str]:
    """The --agent / --project / --session / --model options given, as ledger filters."""
    given = (
        ("agent_type", args.agent),
        ("project_id", args.project),
        ("session_id", args.session),
        ("model", args.model),
    )
    return {key: value for key, value in given if value}


def cmd_summary(args: argparse.Namespace) -> int:
    filters = _filters(args)
    with open_manager(args) as manager:
        rows = manager.cost_tracker.get_summary(args.by, args.days, filters=filters or None)
    if args.json:
        return emit_json({"dimension": args.by, "days": args.days, "filters": filters, "summaries": rows})
    s = Style()
    window = f"last {args.days} day(s)" if args.days else "all time"
    lines = [s.heading(f"Cost by {args.by}, {window}")]
    if not rows:
        return emit_lines([*lines, "  No usage recorded."])
    lines += table(
        [args.by.upper(), "COST", "OPS", "INPUT", "OUTPUT", "CACHE WRITE", "CACHE READ"],
        [
            [
                r.dimension_value,
                fmt.usd(r.total_cost),
                fmt.count(r.record_count),
                fmt.compact(r.input_tokens),
                fmt.compact(r.output_tokens),
                fmt.compact(r.cache_creation_input_tokens),
                fmt.compact(r.cache_read_input_tokens),
            ]
            for r in rows
        ],
        style=s,
    )
    return emit_lines(lines)


def cmd_history(args: argparse.Namespace) -> int:
    filters = _filters(args)
    with open_manager(args) as manager:
        records = manager.cost_tracker.get_records(args.days, filters=filters or None, limit=args.limit)
        zone = manager.settings.zone
    if args.json:
        return emit_json({"days": args.days, "limit": args.limit, "filters": filters, "records": records})
    s = Style()
    lines = [s.heading(f"Most recent {len(records)} record(s)")]
    if not records:
        return emit_lines([*lines, "  No usage recorded."])
    lines += table(
        ["TIME", "AGENT", "MODEL", "PROJECT", "IN", "OUT", "CACHE R", "COST", "TASK"],
        [
            [
                fmt.when(r.timestamp.astimezone(zone)),
                r.agent_type,
                r.model_type,
                r.project_id or "-",
                fmt.compact(r.input_tokens),
                fmt.compact(r.output_tokens),
                fmt.compact(r.cache_read_input_tokens),
                fmt.usd(r.total_cost) if r.priced else "unpriced",
                fmt.truncate(r.task_description, 40, s.ellipsis),
            ]
            for r in records
        ],
        align="llllrrrrl",
        style=s,
    )
    return emit_lines(lines)
