"""`install-hooks` keeps the settings file's own formatting: only our entries show in the diff."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.claude_code import settings_merge

EXISTING: dict[str, Any] = {
    "permissions": {"allow": ["Bash(npm test)"], "deny": []},
    "model": "opus",
    "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]},
    "env": {"ÄPFEL": "süß"},
}


def removed(diff: str) -> list[str]:
    return [line for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]


@pytest.mark.parametrize(("dumps", "indent"), [
    ({"indent": 2}, 2),
    ({"indent": 4}, 4),
    ({"indent": "\t"}, "\t"),
    ({"indent": 3}, 3),
    ({"separators": (",", ":")}, None),
    ({}, None),
    ({"indent": 2, "ensure_ascii": True}, 2),  # \u escapes stay escapes
])
@pytest.mark.parametrize("newline", ["\n", ""])
def test_install_keeps_the_files_indentation_and_final_newline(
    tmp_path: Path, dumps: dict[str, Any], indent: int | str | None, newline: str
) -> None:
    path = tmp_path / "settings.json"
    dumps = {"ensure_ascii": False, **dumps}
    path.write_text(json.dumps(EXISTING, **dumps) + newline, encoding="utf-8")
    dry = settings_merge.install(path, "mc", dry_run=True)
    assert not dry.written and dry.changed
    # Only the lines where our entries join the file change: a `}` that gains a comma, or a one-line file.
    assert all(line.strip() in ("}", "]", "}]") or indent is None for line in removed(dry.diff))
    assert len(removed(dry.diff)) <= 2
    result = settings_merge.install(path, "mc")
    after = settings_merge.merged(EXISTING, "mc")
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == after and list(json.loads(text)) == list(after)
    assert text == json.dumps(after, **dumps) + newline
    assert result.diff == dry.diff


def test_a_new_file_gets_two_spaces_and_a_final_newline(tmp_path: Path) -> None:
    path = tmp_path / ".claude" / "settings.json"
    settings_merge.install(path, "mc")
    assert path.read_text() == json.dumps(settings_merge.merged({}, "mc"), indent=2) + "\n"


def test_an_empty_file_is_a_new_one(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("")
    settings_merge.install(path, "mc")
    assert path.read_text() == json.dumps(settings_merge.merged({}, "mc"), indent=2) + "\n"


def test_windows_line_endings_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes((json.dumps(EXISTING, indent=4) + "\n").replace("\n", "\r\n").encode())
    dry = settings_merge.install(path, "mc", dry_run=True)
    assert len(removed(dry.diff)) <= 2
    settings_merge.install(path, "mc")
    expected = json.dumps(settings_merge.merged(EXISTING, "mc"), indent=4) + "\n"
    assert path.read_bytes() == expected.replace("\n", "\r\n").encode()


def test_a_second_install_keeps_the_first_backup(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(EXISTING))
    first = settings_merge.install(path, "mc").backup
    second = settings_merge.install(path, "/opt/mc").backup  # same second, new command: written again
    assert first is not None and second is not None and first != second
    assert json.loads(first.read_text()) == EXISTING
    assert json.loads(second.read_text()) == settings_merge.merged(EXISTING, "mc")
