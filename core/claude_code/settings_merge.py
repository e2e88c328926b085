"""`install-hooks`: merge model-config's hook entries into a Claude Code `settings.json`.

Other hooks and settings are kept as they are. Our entries are recognised by their command
(`... hook <event>` run by model-config), so running the installer again changes nothing, and a
changed command (a new install location) replaces the old one instead of adding a second. The
file is backed up before it is written (a new backup each time, never over an earlier one), and
written atomically in its own style: its indentation (spaces, a tab or none), its line endings and
whether it ends with a newline, so a diff shows only our entries.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..files import atomic_file, backup
from .discovery import user_config_dirs

# Claude Code event -> (matcher or None, our subcommand, timeout in seconds)
EVENTS: list[tuple[str, str | None, str, int]] = [
    ("Stop", None, "stop", 30),
    ("SubagentStop", None, "subagent-stop", 30),
    ("PreToolUse", "Agent|Task", "pre-tool-use", 10),
    ("SessionStart", "startup|resume", "session-start", 10),
]
_OURS = re.compile(
    r"(model-config|core\.claude_code|-m\s+core)\b.*\bhook\s+(stop|subagent-stop|pre-tool-use|session-start)\b"
)


def settings_path(scope: str, project_dir: str | os.PathLike[str] | None = None,
                  env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    if scope == "project":
        return Path(project_dir or env.get("CLAUDE_PROJECT_DIR") or os.getcwd()) / ".claude" / "settings.json"
    return user_config_dirs(env)[0] / "settings.json"  # Claude Code writes user settings to the first


def default_command() -> str:
    """How Claude Code should run us: the installed `model-config`, else this interpreter.

    The interpreter runs with `-P`, which keeps the working directory off `sys.path`: hooks run in
    the user's project, and a project with a top-level `core` package of its own would otherwise be
    imported instead of ours.
    """
    found = shutil.which("model-config")
    if found:
        return shlex.quote(found)
    return f"{shlex.quote(sys.executable)} -P -m core.claude_code"


def hook_command(base: str, event: str, extra: list[str]) -> str:
    return " ".join([base, "hook", event, *(shlex.quote(a) for a in extra)])


def merged(settings: dict[str, Any], base: str, extra: list[str] | None = None) -> dict[str, Any]:
    """`settings` with our hook entries in place (a new dict; the input is not changed)."""
    out = json.loads(json.dumps(settings))
    hooks = out.get("hooks")
    if not isinstance(hooks, dict):
        hooks = out["hooks"] = {}
    for event, matcher, sub, timeout in EVENTS:
        groups = hooks.get(event)
        if not isinstance(groups, list):
            groups = hooks[event] = []
        wanted = {"type": "command", "command": hook_command(base, sub, extra or []), "timeout": timeout}
        placed = False
        for group in groups:
            if not isinstance(group, dict) or not isinstance(group.get("hooks"), list):
                continue
            kept = []
            for h in group["hooks"]:
                command = h.get("command", "") if isinstance(h, dict) else ""
                match = _OURS.search(command) if isinstance(command, str) else None
                if (match and match.group(2) == sub) or command == wanted["command"]:
                    if not placed:
                        kept.append(wanted)
                        placed = True
                    continue
                kept.append(h)
            group["hooks"] = kept
        groups[:] = [g for g in groups if not (isinstance(g, dict) and g.get("hooks") == [])]
        if not placed:
            ours: dict[str, Any] = {"matcher": matcher} if matcher else {}
            ours["hooks"] = [wanted]
            groups.append(ours)
    return out


@dataclass
class InstallResult:
    path: Path
    changed: bool
    diff: str
    backup: Path | None
    written: bool


def json_style(text: str, value: Any) -> dict[str, Any]:
    """`json.dumps` arguments that write JSON the way `text` (holding `value`) is written; 2 spaces for no text."""
    lines = text.strip().splitlines()
    if not lines:
        return {"indent": 2, "ensure_ascii": False}
    ensure_ascii = text.isascii() and "\\u" in text  # keep \u escapes where the file uses them
    if len(lines) == 1:
        tight = json.dumps(value, separators=(",", ":"), ensure_ascii=ensure_ascii) == text.strip()
        return {"indent": None, "separators": (",", ":") if tight else (", ", ": "), "ensure_ascii": ensure_ascii}
    # JSON strings hold no raw newline, so every line's leading whitespace is indentation.
    leads = [line[:len(line) - len(line.lstrip(" \t"))] for line in lines[1:]]
    leads = [lead for lead in leads if lead]
    if any(lead.startswith("\t") for lead in leads):
        return {"indent": "\t", "ensure_ascii": ensure_ascii}
    return {"indent": min((len(lead) for lead in leads), default=0), "ensure_ascii": ensure_ascii}


def install(path: Path, base: str, extra: list[str] | None = None, *, dry_run: bool = False) -> InstallResult:
    raw = ""
    if path.exists():
        with path.open(encoding="utf-8", newline="") as handle:  # newline="": see the line endings as they are
            raw = handle.read()
    before_text = raw.replace("\r\n", "\n").replace("\r", "\n")
    try:
        current = json.loads(before_text) if before_text.strip() else {}
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON (line {exc.lineno}): fix it before installing hooks") from None
    if not isinstance(current, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    after = merged(current, base, extra)
    ends_with_newline = before_text.endswith("\n") or not before_text.strip()
    after_text = json.dumps(after, **json_style(before_text, current)) + ("\n" if ends_with_newline else "")
    changed = after != current
    diff = "".join(difflib.unified_diff(before_text.splitlines(keepends=True), after_text.splitlines(keepends=True),
                                        fromfile=str(path), tofile=f"{path} (with model-config hooks)"))
    if not changed or dry_run:
        return InstallResult(path, changed, diff if changed else "", None, False)
    path.parent.mkdir(parents=True, exist_ok=True)
    saved = backup(path) if path.exists() else None
    with atomic_file(path, newline="\r\n" if "\r\n" in raw else "\n") as handle:
        handle.write(after_text)
    return InstallResult(path, True, diff, saved, True)
