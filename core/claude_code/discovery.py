"""Where Claude Code keeps transcripts, and what a transcript's path says about it.

Layout: `<config>/projects/<project folder>/<session id>.jsonl`, subagents in
`<project folder>/<session id>/subagents/agent-<id>.jsonl` (older builds: `agent-<id>.jsonl`
directly in the project folder), each with an optional `agent-<id>.meta.json` holding
`agentType`. `<config>` is every directory in `$CLAUDE_CONFIG_DIR` (comma-separated), else
`~/.config/claude` (`$XDG_CONFIG_HOME/claude`) and `~/.claude`. The project folder is the project
directory with every non-alphanumeric character replaced by `-`.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath

_NON_ALNUM = re.compile(r"[^A-Za-z0-9]")
META_SUFFIX = ".meta.json"


def env_config_dirs(env: Mapping[str, str] | None = None) -> list[Path]:
    """The directories named in `$CLAUDE_CONFIG_DIR` (comma-separated), in order; none when it is unset."""
    env = os.environ if env is None else env
    return [Path(p.strip()).expanduser() for p in env.get("CLAUDE_CONFIG_DIR", "").split(",") if p.strip()]


def user_config_dirs(env: Mapping[str, str] | None = None) -> list[Path]:
    """Where Claude Code keeps user settings and agents: `$CLAUDE_CONFIG_DIR`'s directories, else `~/.claude`."""
    env = os.environ if env is None else env
    return env_config_dirs(env) or [Path(env.get("HOME") or Path.home()) / ".claude"]


def config_dirs(env: Mapping[str, str] | None = None) -> list[Path]:
    """Claude Code config directories that hold a `projects/` folder, in search order."""
    env = os.environ if env is None else env
    candidates = [c.parent if c.name == "projects" and c.is_dir() else c for c in env_config_dirs(env)]
    if not candidates:
        home = Path(env.get("HOME") or Path.home())
        xdg = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
        candidates = [xdg / "claude", home / ".claude"]
    out: list[Path] = []
    seen: set[str] = set()
    for c in candidates:
        if (c / "projects").is_dir():
            real = os.path.realpath(c)
            if real not in seen:
                seen.add(real)
                out.append(c)
    return out


def transcript_files(roots: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Every `.jsonl` under the roots (a config dir, a projects dir, a project folder or a file), sorted.

    Paths are canonical (symlinks resolved once per root), so a file reached through two roots, or
    named by a hook, is one file with one import state.
    """
    found: set[str] = set()
    for root in roots:
        path = Path(os.path.realpath(Path(root).expanduser()))
        if path.is_file():
            found.add(str(path))
            continue
        if (path / "projects").is_dir():
            path = path / "projects"
        found.update(_walk(str(path)))
    # ccusage reads files in path order and keeps the first of equal copies: read in the same order.
    return [Path(p) for p in sorted(found)]


def _walk(root: str) -> Iterable[str]:
    try:
        entries = list(os.scandir(root))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir():
                yield from _walk(entry.path)
            elif entry.name.endswith(".jsonl") and entry.is_file():
                yield entry.path
        except OSError:
            continue


def session_files(transcript: str | os.PathLike[str]) -> list[Path]:
    """A session's main transcript and its subagents' transcripts."""
    main = Path(transcript)
    files = [main] if main.is_file() else []
    sub = main.with_suffix("") / "subagents"
    if sub.is_dir():
        files += sorted(p for p in sub.glob("agent-*.jsonl") if p.is_file())
    return files


def encode_project_dir(path: str) -> str:
    return _NON_ALNUM.sub("-", path)


def project_id_for(folder: str | None, cwd: str | None) -> str | None:
    """The project a line belongs to: the project directory's name.

    The project directory is the ancestor of `cwd` whose encoding is the project folder's name
    (a session may `cd` below it); without one, `cwd`'s own name. Without `cwd`, the folder name
    decoded (`decode_project_folder`), so the same directory gives the same project either way; else
    the folder name as it is.
    """
    if cwd:
        pure = PurePath(cwd)
        if folder:
            for candidate in (pure, *pure.parents):
                encoded = encode_project_dir(str(candidate))
                if encoded == folder or (len(folder) > 200 and folder.startswith(encoded[:200])):
                    return candidate.name or str(candidate)
        return pure.name or str(pure)
    if folder is None:
        return None
    directory = decode_project_folder(folder)
    if directory is None:
        return folder
    return PurePath(directory).name or directory


DECODE_MAX_ENTRIES = 5000  # directory entries looked at to decode one folder name


@functools.lru_cache(maxsize=256)
def decode_project_folder(folder: str) -> str | None:
    """The existing directory whose encoding is the project folder's name, or None.

    The encoding is lossy (`/home/dev/shop-api` and `/home/dev/shop/api` are both
    `-home-dev-shop-api`), so the name is decoded against the file system: from `/` down, into each
    subdirectory whose encoded name continues it (the longest first: `shop-api` before `shop`),
    backtracking on a dead end; the first complete match wins. Looks at no more than DECODE_MAX_ENTRIES
    entries. Names of over 200 characters (truncated by Claude Code) and non-POSIX paths are not decoded.
    Cached for the process: a directory made later is decoded by the next process.
    """
    if not folder.startswith("-") or len(folder) > 200:
        return None
    budget = [DECODE_MAX_ENTRIES]

    def walk(directory: str, rest: str) -> str | None:
        if not rest:
            return directory
        try:
            with os.scandir(directory) as entries:
                found = []
                for entry in entries:
                    budget[0] -= 1
                    if budget[0] < 0:
                        return None
                    encoded = "-" + encode_project_dir(entry.name)
                    if (rest.startswith(encoded) and rest[len(encoded):len(encoded) + 1] in ("", "-")
                            and entry.is_dir()):
                        found.append((entry.path, encoded))
        except OSError:
            return None
        for path, encoded in sorted(found, key=lambda item: (-len(item[1]), item[0])):
            match = walk(path, rest[len(encoded):])
            if match is not None:
                return match
        return None

    return walk("/", folder)


@dataclass
class FileInfo:
    """What a transcript's path tells: its session, project folder and, for a subagent, its type."""

    path: Path
    session_id: str
    folder: str | None
    agent_type: str | None
    project_root: Path | None = None
    _meta_cache: dict[str, str | None] = field(default_factory=dict, repr=False)

    def subagent_type(self, agent_id: str | None) -> str:
        """The type of a subagent named in a main transcript's progress line (or `subagent`)."""
        if not agent_id or self.project_root is None:
            return "subagent"
        if agent_id not in self._meta_cache:
            meta = self.project_root / self.session_id / "subagents" / f"agent-{agent_id}{META_SUFFIX}"
            self._meta_cache[agent_id] = read_agent_type(meta)
        return self._meta_cache[agent_id] or "subagent"


def describe(path: Path, agent_type_override: str | None = None) -> FileInfo:
    parts = path.parts
    name = path.name
    stem = name[: -len(".jsonl")] if name.endswith(".jsonl") else path.stem
    is_agent = stem.startswith("agent-")
    # .../projects/<folder>/<session>/subagents/agent-x.jsonl or .../projects/<folder>/<session>.jsonl
    if is_agent and len(parts) >= 4 and parts[-2] == "subagents":
        session, folder_path = parts[-3], path.parent.parent.parent
    else:
        session, folder_path = stem, path.parent
    if "projects" in parts[:-1]:
        idx = len(parts) - 1 - parts[::-1].index("projects")
        folder = parts[idx + 1] if idx + 1 < len(parts) - 1 else None
        root = Path(*parts[: idx + 2]) if folder else None
    else:
        folder, root = folder_path.name or None, folder_path
    agent_type = None
    if is_agent:
        agent_type = agent_type_override or read_agent_type(path.with_name(stem + META_SUFFIX)) or "subagent"
    return FileInfo(path=path, session_id=session, folder=folder, agent_type=agent_type, project_root=root)


def read_agent_type(meta: Path) -> str | None:
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    value = data.get("agentType") if isinstance(data, dict) else None
    if isinstance(value, str) and value.strip() and len(value) <= 200 and value.isprintable():
        return value.strip()
    return None
