"""Subagent model advice: each `.claude/agents/*.md` subagent's configured model, what the selector
recommends for its description, and what it really spent (from the ledger).

Agents come from the project's `.claude/agents/`, then the `agents/` folder of each user config
directory (`$CLAUDE_CONFIG_DIR`'s, in order, else `~/.claude`); the first definition of a name wins.

Frontmatter is the YAML block between the first two `---` lines. Only flat `key: value` pairs
(quoted or not, and `|`/`>` block scalars) are read; rewriting touches the `model:` line alone, so
everything else in the file stays byte for byte.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from ..files import atomic_file, backup
from ..models import Tier
from ..money import Money, pico_to_usd
from .discovery import user_config_dirs

if TYPE_CHECKING:
    from ..manager import ModelConfigManager

_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")
ALIASES = {"haiku": Tier.HAIKU, "sonnet": Tier.SONNET, "opus": Tier.OPUS, "fable": Tier.OPUS}


@dataclass
class AgentFile:
    path: Path
    scope: str  # "project" or "user"
    name: str
    description: str
    model: str | None  # as configured; None means `inherit` (the main conversation's model)
    text: str


def agent_dirs(project_dir: str | os.PathLike[str] | None = None,
               env: Mapping[str, str] | None = None) -> list[tuple[str, Path]]:
    """(scope, folder) in lookup order: the project's agents, then each user config directory's."""
    env = os.environ if env is None else env
    project = Path(project_dir or env.get("CLAUDE_PROJECT_DIR") or os.getcwd())
    return [("project", project / ".claude" / "agents"), *(("user", d / "agents") for d in user_config_dirs(env))]


def find_agents(project_dir: str | os.PathLike[str] | None = None,
                env: Mapping[str, str] | None = None) -> list[AgentFile]:
    """Every subagent definition; the first of a name wins (a project agent hides a user one, as in Claude Code)."""
    found: dict[str, AgentFile] = {}
    for scope, directory in agent_dirs(project_dir, env):
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.md")):
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            meta = frontmatter(text)
            if meta is None:
                continue
            name = meta.get("name") or path.stem
            model = (meta.get("model") or "").strip() or None
            if model == "inherit":
                model = None
            found.setdefault(name, AgentFile(path, scope, name, meta.get("description", ""), model, text))
    return list(found.values())


def frontmatter(text: str) -> dict[str, str] | None:
    """The flat key/value pairs of a Markdown file's YAML frontmatter, or None without one."""
    span = _span(text)
    if span is None:
        return None
    lines = text[span[0]:span[1]].splitlines()
    out: dict[str, str] = {}
    i = 0
    while i < len(lines):
        m = _KEY.match(lines[i])
        i += 1
        if not m:
            continue
        key, value = m.group(1), m.group(2).strip()
        if value in ("|", ">", "|-", ">-", "|+", ">+"):
            block = []
            while i < len(lines) and (not lines[i].strip() or lines[i][:1] in (" ", "\t")):
                block.append(lines[i].strip())
                i += 1
            value = ("\n" if value.startswith("|") else " ").join(block).strip()
        elif len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1].replace('\\"', '"') if value[0] == '"' else value[1:-1].replace("''", "'")
        out[key] = value
    return out


def _span(text: str) -> tuple[int, int] | None:
    """(start, end) of the frontmatter body between the opening and closing `---` lines."""
    if not text.startswith("---"):
        return None
    first = text.find("\n")
    if first < 0 or text[:first].strip() != "---":
        return None
    m = re.search(r"^---[ \t]*$", text[first + 1:], re.M)
    if m is None:
        return None
    return first + 1, first + 1 + m.start()


def with_model(text: str, model: str) -> str:
    """The file's text with its frontmatter `model:` set (replaced in place, or added after `name:`)."""
    span = _span(text)
    if span is None:
        raise ValueError("no frontmatter")
    start, end = span
    body = text[start:end]
    pattern = re.compile(r"^model\s*:.*$", re.M)
    if pattern.search(body):
        body = pattern.sub(f"model: {model}", body, count=1)
    else:
        name = re.search(r"^name\s*:.*$", body, re.M)
        at = name.end() + 1 if name else 0
        body = body[:at] + f"model: {model}\n" + body[at:]
        if not body.endswith("\n"):
            body += "\n"
    return text[:start] + body + text[end:]


def rewrite(agent: AgentFile, text: str) -> Path:
    """Write `text` (from `with_model`) to the agent's file after backing it up; returns the backup's path.

    Each rewrite makes a new backup (`<name>.md.bak-<time>`, as install-hooks does for settings.json),
    so the original survives a second rewrite.
    """
    saved = backup(agent.path)
    with atomic_file(agent.path) as handle:
        handle.write(text)
    return saved


def tier_hint(model: str | None) -> Tier | None:
    """A model's tier from its alias or id, without opening the price catalogue."""
    if not model:
        return None
    value = model.strip().lower()
    if value in ALIASES:
        return ALIASES[value]
    for word, tier in (("opus", Tier.OPUS), ("fable", Tier.OPUS), ("mythos", Tier.OPUS), ("sonnet", Tier.SONNET),
                       ("haiku", Tier.HAIKU)):
        if word in value:
            return tier
    return None


class AgentAdvice(BaseModel):
    name: str
    scope: str
    path: str
    configured_model: str  # "inherit" when unset
    configured_tier: Tier | None
    recommended_model: str  # the tier alias to write in `model:`
    recommended_tier: Tier
    confidence: float
    reasoning: list[str]
    spend_usd: Money
    operations: int
    days: int
    differs: bool


def advise(manager: ModelConfigManager, agents: list[AgentFile], days: int = 30) -> list[AgentAdvice]:
    """The selector's recommendation for each subagent's description, beside its real spend."""
    start_us, end_us = manager.cost_tracker.window(days)  # the last `days` local calendar days
    out = []
    for agent in agents:
        rec = manager.selector.select_model(agent.name, task_description=agent.description or None)
        totals = manager.ledger.totals(f"agent:{agent.name}", start_us, end_us)
        configured_tier = tier_hint(agent.model)
        out.append(AgentAdvice(
            name=agent.name,
            scope=agent.scope,
            path=str(agent.path),
            configured_model=agent.model or "inherit",
            configured_tier=configured_tier,
            recommended_model=rec.tier.value,
            recommended_tier=rec.tier,
            confidence=rec.confidence,
            reasoning=rec.reasoning,
            spend_usd=pico_to_usd(totals.cost_pico),
            operations=totals.ops,
            days=days,
            differs=configured_tier != rec.tier,
        ))
    return out
