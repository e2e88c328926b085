"""Claude Code hooks: automatic usage import, budget gates for subagents, budget status at start.

Each hook reads the JSON Claude Code sends on stdin and answers with JSON on stdout (or nothing).
A hook runs on the user's critical path, so it never blocks on its own failure: an error is
logged (`claude-code-hooks.log` beside the ledger) and the hook exits 0 saying nothing. Exit 2
(which Claude Code treats as "block") is never used; a denial is a `permissionDecision`.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..models import AlertLevel, BudgetPeriod, BudgetStatus, Tier
from . import discovery, price_cache

if TYPE_CHECKING:
    from ..manager import ModelConfigManager

AGENT_TOOLS = ("Agent", "Task")
LOG_NAME = "claude-code-hooks.log"
LOG_MAX_BYTES = 1_000_000


def _usd(value: Decimal) -> str:
    return f"${value:,.2f}"


def _budget_name(status: BudgetStatus) -> str:
    scope = "" if status.scope == "global" else f" for {status.scope}"
    return f"{status.period.value.capitalize()} budget{scope}"


# -- Stop / SubagentStop --------------------------------------------------------------------------


def stop(manager: ModelConfigManager, payload: dict[str, Any]) -> dict[str, Any] | None:
    """Import the session's transcript and its subagents' transcripts (only what is new)."""
    from .importer import import_claude_code

    transcript = payload.get("transcript_path")
    if not isinstance(transcript, str) or not transcript:
        raise ValueError("the hook input has no transcript_path")
    files = [str(p) for p in discovery.session_files(Path(transcript).expanduser())]
    if files:
        import_claude_code(manager, files)
    return None


def subagent_stop(manager: ModelConfigManager, payload: dict[str, Any]) -> dict[str, Any] | None:
    """Import the finished subagent's transcript (typed from the hook when its meta file is missing)."""
    from .importer import import_claude_code

    files: list[str] = []
    types: dict[str, str] = {}
    agent_path = payload.get("agent_transcript_path")
    if isinstance(agent_path, str) and agent_path:
        files.append(str(Path(agent_path).expanduser()))
        agent_type = payload.get("agent_type")
        if isinstance(agent_type, str) and agent_type.strip():
            types[files[0]] = agent_type.strip()
    transcript = payload.get("transcript_path")
    if isinstance(transcript, str) and transcript:
        files += [str(p) for p in discovery.session_files(Path(transcript).expanduser()) if str(p) not in files]
    if not files:
        raise ValueError("the hook input has neither agent_transcript_path nor transcript_path")
    import_claude_code(manager, [f for f in files if Path(f).is_file()] or files, agent_types=types)
    return None


# -- PreToolUse: budget gate for subagents ---------------------------------------------------------


def _statuses(manager: ModelConfigManager, scopes: list[str]) -> list[BudgetStatus]:
    budgets = manager.budget_manager
    out = []
    for scope in scopes:
        for period in BudgetPeriod:
            if budgets.budget_for(period, scope) is not None:
                out.append(budgets.check_budget(period, scope=scope, forecast=False, record_alerts=False))
    return out


def project_of(payload: dict[str, Any]) -> str | None:
    cwd = os.environ.get("CLAUDE_PROJECT_DIR") or payload.get("cwd")
    transcript = payload.get("transcript_path")
    folder = Path(transcript).parent.name if isinstance(transcript, str) and transcript else None
    return discovery.project_id_for(folder, cwd if isinstance(cwd, str) else None)


def pre_tool_use(manager: ModelConfigManager, payload: dict[str, Any]) -> dict[str, Any] | None:
    """Deny a subagent launch over a hard budget, or move it to a cheaper model under auto-downgrade."""
    if payload.get("tool_name") not in AGENT_TOOLS:
        return None
    tool_input = payload.get("tool_input")
    if not isinstance(tool_input, dict):
        return None
    agent_type = tool_input.get("subagent_type") if isinstance(tool_input.get("subagent_type"), str) else None
    scoped = manager.settings.cost.scoped_budgets
    scopes = ["global"]
    if agent_type and f"agent:{agent_type}" in scoped:
        scopes.append(f"agent:{agent_type}")
    project = project_of(payload)
    if project and f"project:{project}" in scoped:
        scopes.append(f"project:{project}")
    statuses = _statuses(manager, scopes)
    hard = [s for s in statuses if s.alert_level is AlertLevel.EXCEEDED and not s.auto_downgrade]
    if hard:
        s = max(hard, key=lambda x: x.percentage_used)
        reason = (f"{_budget_name(s)} {_usd(s.budget_limit)} exceeded ({_usd(s.current_spending)} spent); "
                  "model-config blocks new subagents until the window resets or the budget is raised")
        return _pre_tool_output("deny", reason)
    soft = [s for s in statuses if s.auto_downgrade and s.alert_level.rank >= AlertLevel.CRITICAL.rank]
    if not soft:
        return None
    from .agents import tier_hint  # only here: the Stop hooks never need it

    worst = max(soft, key=lambda x: (x.alert_level.rank, x.percentage_used))
    requested = tool_input.get("model") if isinstance(tool_input.get("model"), str) else None
    cwd = payload.get("cwd") if isinstance(payload.get("cwd"), str) else None
    current = (tier_hint(requested) or _configured_tier(agent_type, cwd)
               or manager.selector.base_tier(agent_type or "")[0])
    target = Tier.HAIKU if worst.alert_level is AlertLevel.EXCEEDED else current.step(-1)
    if target.rank >= current.rank:
        return None  # already on the cheapest tier the budget allows
    state = "exceeded" if worst.alert_level is AlertLevel.EXCEEDED else f"at {worst.percentage_used:.0f}%"
    reason = (f"{_budget_name(worst)} {state} ({_usd(worst.current_spending)} of {_usd(worst.budget_limit)}); "
              f"auto-downgrade: subagent model {requested or current.value} -> {target.value}")
    return _pre_tool_output("allow", reason, {**tool_input, "model": target.value})


def _configured_tier(agent_type: str | None, cwd: str | None) -> Tier | None:
    """The model tier in the subagent's definition (the project's `.claude/agents`, else the user config dir's)."""
    if not agent_type:
        return None
    from .agents import find_agents, tier_hint

    for agent in find_agents(os.environ.get("CLAUDE_PROJECT_DIR") or cwd):
        if agent.name == agent_type:
            return tier_hint(agent.model)
    return None


def _pre_tool_output(decision: str, reason: str, updated: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"hookEventName": "PreToolUse", "permissionDecision": decision,
                           "permissionDecisionReason": reason}
    if updated is not None:
        out["updatedInput"] = updated
    return {"hookSpecificOutput": out}


# -- SessionStart ---------------------------------------------------------------------------------


def session_start(manager: ModelConfigManager, payload: dict[str, Any]) -> dict[str, Any] | None:
    """One line of budget status, added to the conversation's context."""
    statuses = _statuses(manager, ["global"])
    parts = [f"{s.period.value} {_usd(s.current_spending)}/{_usd(s.budget_limit)} ({s.percentage_used:.0f}%)"
             for s in statuses]
    worst = max(statuses, key=lambda s: s.alert_level.rank)
    note = f"; {worst.period.value} budget {worst.alert_level.value}" if worst.alert_level is not AlertLevel.OK else ""
    if worst.alert_level.rank >= AlertLevel.CRITICAL.rank and worst.auto_downgrade:
        note += " (subagents are moved to cheaper models)"
    text = f"model-config budgets: {', '.join(parts)}{note}."
    return {"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": text}}


HANDLERS: dict[str, Callable[[ModelConfigManager, dict[str, Any]], dict[str, Any] | None]] = {
    "stop": stop,
    "subagent-stop": subagent_stop,
    "pre-tool-use": pre_tool_use,
    "session-start": session_start,
}
PRICED = {"stop", "subagent-stop"}


def run(event: str, open_manager: Callable[[], ModelConfigManager], stdin: IO[str] | None = None,
        stdout: IO[str] | None = None) -> int:
    """Run one hook: read stdin, answer on stdout, log any failure; always exit 0."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    started = time.perf_counter()
    manager = None
    try:
        raw = stdin.read()
        payload = json.loads(raw) if raw.strip() else {}
        if not isinstance(payload, dict):
            raise ValueError("the hook input is not a JSON object")
        manager = open_manager()
        if event in PRICED:
            price_cache.load(manager)
        answer = HANDLERS[event](manager, payload)
        if event in PRICED:
            price_cache.save(manager)
        if answer is not None:
            stdout.write(json.dumps(answer) + "\n")
            stdout.flush()
    except Exception as exc:  # a hook must never break the user's session: log and carry on
        log_failure(event, exc, manager)
    finally:
        if manager is not None:
            manager.close()
        if os.environ.get("MODEL_CONFIG_HOOK_TIMING"):
            print(f"hook {event}: {time.perf_counter() - started:.3f}s", file=sys.stderr)
    return 0


def log_path(manager: ModelConfigManager | None) -> Path:
    if manager is not None and manager.db_path != ":memory:":
        return Path(manager.db_path).with_name(LOG_NAME)
    from ..paths import default_db_path

    return default_db_path().with_name(LOG_NAME)


def log_failure(event: str, exc: BaseException, manager: ModelConfigManager | None) -> None:
    try:
        path = log_path(manager)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size > LOG_MAX_BYTES:
            path.replace(path.with_suffix(".log.1"))
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"{stamp} hook {event}: {detail}\n")
            if os.environ.get("MODEL_CONFIG_DEBUG"):
                handle.write("".join(traceback.format_exception(exc)))
    except OSError:
        pass
