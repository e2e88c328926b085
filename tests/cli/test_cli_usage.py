"""Usage: --help everywhere, exit codes, one-line errors, the original flag forms, option placement."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from core.cli import main
from core.cli.parser import build_parser

COMMANDS = [
    ["status"],
    ["budget"],
    ["dashboard"],
    ["recommendations"],
    ["efficiency"],
    ["roi"],
    ["summary"],
    ["history"],
    ["models"],
    ["select"],
    ["export-analytics"],
    ["export-costs"],
    ["track"],
    ["prune"],
    ["config"],
    ["config", "init"],
    ["config", "show"],
    ["config", "validate"],
]


def test_top_level_help_in_a_subprocess(cli):
    r = cli("--help")
    assert r.code == 0 and r.err == ""
    assert r.out.startswith("usage: model-config ")
    for command in (
        "status",
        "budget",
        "dashboard",
        "recommendations",
        "efficiency",
        "roi",
        "models",
        "export-analytics",
        "export-costs",
        "track",
        "config",
        "prune",
        "serve",
    ):
        assert f"\n    {command}" in r.out
    assert "exit codes: 0 ok, 1 error, 2 usage error, 3 budget --check failed" in r.out
    assert "--export-analytics FILE" in r.out  # the original flag forms are documented


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_examples(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser()[0].parse_args([*command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: model-config {' '.join(command)}")
    assert "examples:\n  model-config " + command[0] in out
    if command != ["config"]:
        assert "--db PATH" in out and "--config-dir DIR" in out and "--json" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "usage: model-config"),
        (["nope"], "argument COMMAND: invalid choice: 'nope'"),
        (["dashboard", "x"], "argument DAYS: expected a whole number of days, got 'x'"),
        (["dashboard", "0"], "days must be from 1 to 36500, got 0"),
        (["recommendations", "--days", "-1"], "argument --days: days must be from 1 to 36500, got -1"),
        (["budget", "--period", "yearly"], "invalid choice: 'yearly'"),
        (["summary", "--by", "colour"], "invalid choice: 'colour'"),
        (["status", "extra"], "unrecognized arguments: extra"),
        (["config"], "the following arguments are required: ACTION"),
        (["track", "a", "sonnet", "1"], "the following arguments are required: OUTPUT_TOKENS"),
        (["efficiency", " "], "agent_type must be a non-empty string"),
        (["--db"], "argument --db: expected one argument"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    if argv:
        assert len(err.strip().splitlines()) == 1, err


def test_usage_error_in_a_subprocess(cli):
    r = cli("dashboard", "many")
    assert r.code == 2 and r.out == ""
    assert r.err == (
        "model-config dashboard: error: argument DAYS: expected a whole number of days, got 'many' "
        "(see 'model-config dashboard --help')\n"
    )


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("model-config 0.")


def test_common_options_before_or_after_the_command(seeded, cli, isolated_env):
    other = str(isolated_env / "other.db")
    after = cli("track", "a", "haiku", "1", "1", "--db", other, "--json")
    before = cli("--db", other, "--json", "status")
    assert after.code == before.code == 0
    assert before.json()["database"] == {
        "path": other,
        "records": 1,
        "size_bytes": before.json()["database"]["size_bytes"],
    }
    default_db = cli("status", "--json").json()["database"]
    assert default_db["records"] == seeded["records"]


def test_database_problems_are_one_line(cli, isolated_env):
    not_a_db = isolated_env / "notes.txt"
    not_a_db.write_text("hello, this is not SQLite " * 100)
    r = cli("status", "--db", str(not_a_db))
    assert r.code == 1 and r.err.strip() == f"model-config: error: usage database {not_a_db}: file is not a database"
    a_dir = cli("budget", "--db", str(isolated_env))
    assert a_dir.code == 2 and "is a directory; give the database file" in a_dir.err


@pytest.mark.parametrize(
    ("legacy", "modern"),
    [
        (["--status"], ["status"]),
        (["--budget", "--json"], ["budget", "--json"]),
        (["--dashboard", "3"], ["dashboard", "3"]),
        (["--recommendations"], ["recommendations"]),
    ],
    ids=lambda argv: " ".join(argv),
)
def test_original_flag_forms_in_a_subprocess(seeded, cli, legacy, modern):
    old, new = cli(*legacy), cli(*modern)
    assert old.code == new.code == 0, old
    if "--json" in legacy:
        assert old.json()["periods"].keys() == new.json()["periods"].keys()
    else:
        assert old.out.splitlines()[0] == new.out.splitlines()[0]
        assert len(old.out.splitlines()) == len(new.out.splitlines())


def test_original_export_flags_in_a_subprocess(seeded, cli, isolated_env):
    costs = cli("--export-costs", "cost_history.csv")
    assert costs.code == 0 and (isolated_env / "cost_history.csv").is_file()
    report = cli("--db", str(isolated_env / "usage.db"), "--export-analytics=analytics_report.json")
    assert report.code == 0 and (isolated_env / "analytics_report.json").is_file()


def test_the_quick_start_in_the_docs_runs_as_written(cli):
    """The README's quick start: its commands, run as written, give the result it shows."""
    doc = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    quick = doc.split("## Quick start", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [shlex.split(line) for line in quick.splitlines() if line.startswith("model-config ")]
    assert [c[1] for c in commands] == ["track", "track", "status"]
    results = [cli(*c[1:]) for c in commands]
    assert all(r.code == 0 and r.err == "" for r in results), results
    assert results[0].out.startswith("Recorded $0.16 for backend-engineer on claude-sonnet-5 (30,000 in, 10,000 out)")
    assert results[1].out.startswith("Recorded $0.55 for software-architect on claude-opus-5")
    assert "$0.71 over 2 operation(s), 102k tokens" in results[2].out
