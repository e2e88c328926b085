"""Tools that move data in and out: CSV/JSON exports (inside the export directory only) and the
Claude Code transcript import."""

from __future__ import annotations

import functools
import time
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import anyio.from_thread
import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations
from pydantic import Field

from core.errors import ExportPathError

from .args import FileName, OptionalDays
from .context import app_of, manager_for_report
from .results import ExportResult, ImportResult
from .tooling import make_tool

EXPORT = ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False)
IMPORT = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False)


def export_path(export_dir: Path, filename: str, suffix: str) -> Path:
    """`export_dir/filename`, refusing anything that is not a plain file name ending in `suffix`."""
    name = filename.strip()
    hint = f"give a plain file name such as 'report{suffix}'; files are written in {export_dir}"
    if not name or name in (".", "..") or any(c in name for c in "/\\\x00") or Path(name).name != name:
        raise ExportPathError(f"{filename!r} is not a plain file name: {hint}")
    if name.startswith("."):
        raise ExportPathError(f"{filename!r} is a hidden file name: {hint}")
    if not name.lower().endswith(suffix):
        raise ExportPathError(f"{filename!r} must end in {suffix}: {hint}")
    try:
        export_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportPathError(f"export directory {export_dir} cannot be created: {exc.strerror}") from None
    real_dir = export_dir.resolve()
    target = real_dir / name
    if target.is_symlink() or (target.exists() and not target.is_file()):
        raise ExportPathError(f"{target} exists and is not a regular file; choose another name")
    return target


async def export_cost_history(
    ctx: Context[Any, Any],
    filename: Annotated[
        FileName, Field(description="CSV file name, e.g. 'costs-june.csv' (written in the export directory)")
    ],
    days: OptionalDays = None,
) -> ExportResult:
    """Write every usage record (of the last N days, or all) to a CSV file in the server's export directory.

    Call this when someone needs the raw data in a spreadsheet. Only a plain file name is accepted;
    an existing file of that name is replaced atomically. Returns the path written and the row count.
    """
    export_dir = app_of(ctx).state.export_dir

    def progress(done: int, total: int) -> None:
        anyio.from_thread.run(functools.partial(ctx.report_progress, done, total, "rows written"))

    def run() -> ExportResult:
        manager = manager_for_report(ctx)
        path = export_path(export_dir, filename, ".csv")
        start, end = manager.cost_tracker.window(days)
        total = manager.ledger.count(start, end)
        rows = manager.export_cost_history(path, days, progress=lambda done: progress(done, total))
        return ExportResult(path=str(path), format="csv", rows=rows, bytes=path.stat().st_size)

    return await anyio.to_thread.run_sync(run)


def export_analytics(
    ctx: Context[Any, Any],
    filename: Annotated[FileName, Field(description="JSON file name, e.g. 'analytics.json' (in the export directory)")],
    days: Annotated[int, Field(ge=1, le=366, description="Window: the last N days (1 to 366)")] = 30,
) -> ExportResult:
    """Write the full analytics report (dashboard, budgets, agent efficiency, ROI, recommendations) as JSON.

    Call this to hand a report to someone outside the conversation. Only a plain file name is accepted;
    the file goes in the server's export directory. Returns the path written and its size.
    """
    path = export_path(app_of(ctx).state.export_dir, filename, ".json")
    written = manager_for_report(ctx).export_analytics(path, days)
    return ExportResult(path=str(written), format="json", bytes=written.stat().st_size)


async def import_claude_code_usage(
    ctx: Context[Any, Any],
    since: Annotated[date | None, Field(description="Only usage on or after this date (YYYY-MM-DD)")] = None,
) -> ImportResult:
    """Import token usage from Claude Code's session transcripts into the ledger.

    Call this to bring Claude Code sessions into the reports. Reads the transcript files Claude Code
    keeps (or those configured under claude_code.paths) from where the last import stopped, so running
    it again adds only what is new. Returns the importer's summary (files, records added, skipped).
    """
    try:
        from core.claude_code.importer import import_claude_code
    except ImportError:
        raise ToolError(
            "Claude Code import is not available in this installation (core.claude_code is missing)"
        ) from None
    app = app_of(ctx)

    def progress(p: Any) -> None:
        message = f"{p.files_done} of {p.files_total} transcript files"
        anyio.from_thread.run(functools.partial(ctx.report_progress, p.bytes_done, p.bytes_total or None, message))

    def run() -> tuple[Any, bool]:
        manager = app.state.manager
        before = manager.ledger.totals("*")
        summary = import_claude_code(manager, None, since, progress)
        return summary, manager.ledger.totals("*") != before

    started = time.perf_counter()
    summary, added = await anyio.to_thread.run_sync(run)
    duration_ms = round((time.perf_counter() - started) * 1000)
    if added:
        await app.subscriptions.records_changed(ctx)
    return ImportResult(summary=summary.model_dump(mode="json"), duration_ms=duration_ms)


def tools() -> list[Tool]:
    return [
        make_tool(export_cost_history, "Export cost history (CSV)", EXPORT),
        make_tool(export_analytics, "Export analytics (JSON)", EXPORT),
        make_tool(import_claude_code_usage, "Import Claude Code usage", IMPORT),
    ]
