"""Pure pieces of the command line, in-process: formatting, charts, tables, aliases, JSON, progress, plug-ins."""

from __future__ import annotations

import argparse
import io
import json
import sys
import types
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from core.cli import fmt, main
from core.cli.aliases import command_index, translate_legacy
from core.cli.chart import bar, bar_lines, gauge, group_points
from core.cli.context import jsonable
from core.cli.progress import Progress
from core.cli.style import Style
from core.cli.tables import table, visible_len
from core.models import AlertLevel


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal(0), "$0.00"),
        (Decimal("1234.5"), "$1,234.50"),
        (Decimal("1"), "$1.00"),
        (Decimal("0.2415"), "$0.2415"),
        (Decimal("0.71"), "$0.71"),
        (Decimal("0.0130"), "$0.013"),
        (Decimal("0.5"), "$0.50"),
        (Decimal("0.00001"), "<$0.0001"),
        (Decimal("-2.16"), "-$2.16"),
        (None, "-"),
        (3, "$3.00"),
    ],
)
def test_usd(value, text):
    assert fmt.usd(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (999, "999"),
        (1_000, "1k"),
        (30_000, "30k"),
        (1_250, "1.2k"),
        (3_400_000, "3.4M"),
        (250_000, "250k"),
        (7 * 10**9, "7B"),
    ],
)
def test_compact_tokens(value, text):
    assert fmt.compact(value) == text


def test_truncate_and_when():
    assert fmt.truncate("a" * 10, 5) == "aaaa…"
    assert fmt.truncate("line\nbreak", 20) == "line break"
    assert fmt.truncate(None, 3) == ""
    assert fmt.when(datetime(2025, 10, 5, 14, 30, 7, tzinfo=UTC)) == "2025-10-05 14:30"
    assert fmt.pct(12.345) == "12.3%" and fmt.pct(None) == "-"


def test_bars_and_gauge():
    assert bar(Decimal(10), Decimal(10), 8) == "█" * 8
    assert bar(Decimal(5), Decimal(10), 8) == "████"
    assert bar(Decimal(1), Decimal(10), 8) == "▊"  # 0.8 of a cell
    assert bar(Decimal("0.0001"), Decimal(10), 8) == "▏"  # anything above zero is visible
    assert bar(0, 10, 8) == "" and bar(5, 0, 8) == ""
    assert bar(5, 10, 8, unicode=False) == "####"
    assert gauge(0.0) == "[░░░░░░░░░░]"
    assert gauge(0.5) == "[█████░░░░░]"
    assert gauge(0.01) == "[█░░░░░░░░░]"
    assert gauge(1.2, unicode=False) == "[##########]+"


def test_group_points_by_day_week_and_month():
    start = datetime(2025, 1, 1).date()
    daily = [((start + timedelta(days=i)).isoformat(), Decimal(1)) for i in range(400)]
    unit, points = group_points(daily[:7], 7)
    assert unit == "day" and points[0] == ("Wed 01-01", Decimal(1))
    unit, points = group_points(daily[:60], 60)
    assert unit == "week" and points[0] == ("wk 2024-12-30", Decimal(5)) and sum(v for _, v in points) == 60
    unit, points = group_points(daily, 400)
    assert unit == "month" and points[0] == ("2025-01", Decimal(31)) and len(points) == 14
    lines = bar_lines([("a", Decimal(1)), ("bb", Decimal(2))], ["$1.00", "$2.00"], 4)
    assert lines == ["  a   $1.00  ██", "  bb  $2.00  ████"]


def test_table_alignment_ignores_colour_codes():
    s = Style(color=True, unicode=True)
    lines = table(["NAME", "COST"], [["a", s("$1.00", "red")], ["longer", "$10.00"]], style=s)
    assert lines[0] == "\x1b[1m  NAME      COST\x1b[0m"
    assert [visible_len(x) for x in lines[1:]] == [16, 16]
    assert lines[2] == "  longer  $10.00"
    with pytest.raises(ValueError):
        table(["A", "B"], [["only one"]])


def test_style_switches():
    assert Style(color=False)("x", "red") == "x"
    assert Style(color=True).level(AlertLevel.WARNING.value) == "\x1b[33mwarning\x1b[0m"
    assert Style(color=True).level("ok") == "ok"
    assert Style(io.StringIO()).color is False  # not a terminal


@pytest.mark.parametrize(
    ("argv", "translated"),
    [
        (["--status"], ["status"]),
        (["--dashboard", "7"], ["dashboard", "7"]),
        (["--dashboard"], ["dashboard"]),
        (["--dashboard=30"], ["dashboard", "30"]),
        (["--db", "x.db", "--budget", "--json"], ["--db", "x.db", "budget", "--json"]),
        (["--export-costs", "cost_history.csv", "--days", "7"], ["export-costs", "cost_history.csv", "--days", "7"]),
        (["--json", "--export-analytics", "a.json"], ["--json", "export-analytics", "a.json"]),
        (["--recommendations"], ["recommendations"]),
        (["track", "a", "--status"], ["track", "a", "--status"]),  # after a command: left alone
        (["--db", "--status", "dashboard"], ["--db", "--status", "dashboard"]),  # a value, not a flag
        (["status"], ["status"]),
        ([], []),
    ],
)
def test_translate_legacy(argv, translated):
    assert translate_legacy(argv) == translated


def test_command_index():
    assert command_index(["--db", "x", "--json", "serve", "--port", "1"]) == 3
    assert command_index(["--json"]) is None
    assert command_index(["--", "status"]) == 1


def test_jsonable():
    when = datetime(2025, 10, 5, 12, tzinfo=UTC)
    paris = datetime(2025, 10, 5, 14, tzinfo=timezone(timedelta(hours=2)))
    data = jsonable(
        {
            "usd": Decimal("1.50"),
            "whole": Decimal("10"),
            "when": when,
            "paris": paris,
            "level": AlertLevel.CRITICAL,
            AlertLevel.OK: [Decimal("0.1")],
            "day": when.date(),
        }
    )
    assert data == {
        "usd": 1.5,
        "whole": 10,
        "when": "2025-10-05T12:00:00Z",
        "paris": "2025-10-05T14:00:00+02:00",
        "level": "critical",
        "ok": [0.1],
        "day": "2025-10-05",
    }
    json.dumps(data)


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_on_a_tty_and_throttles():
    stream = FakeTTY()
    with Progress("Pruning records", 40_000, stream=stream) as p:
        p.update(0)
        p.update(10)  # within 0.1 s of the last draw: skipped
        p.update(40_000)  # the end is always drawn
    assert stream.getvalue() == (
        "\r\x1b[KPruning records [--------------------] 0%  0/40,000"
        "\r\x1b[KPruning records [####################] 100%  40,000/40,000\r\x1b[K"
    )
    assert Progress("x", None, stream=stream).text(1234) == "x: 1,234"
    sized = Progress("Importing", 8_700_000, unit="bytes", stream=stream)
    sized.detail = "3/40 files"
    assert sized.text(3_480_000) == "Importing [########------------] 40%  3.5/8.7 MB, 3/40 files"
    assert Progress("x", None, unit="bytes", stream=stream).text(1_250_000) == "x: 1.2 MB"
    quiet = io.StringIO()
    with Progress("x", 10, stream=quiet) as p:
        p.update(5)
    assert quiet.getvalue() == ""


def test_serve_forwards_every_argument():
    seen: list[list[str]] = []

    def fake_serve(argv: list[str]) -> int:
        seen.append(argv)
        return 0

    assert main(["--db", "x.db", "serve", "--transport", "http", "--port", "0", "--json"], serve=fake_serve) == 0
    assert main(["serve", "--help"], serve=fake_serve) == 0
    assert seen == [["--db", "x.db", "--transport", "http", "--port", "0"], ["--help"]]


def test_serve_reports_a_missing_server(capsys):
    def broken(argv: list[str]) -> int:
        raise ImportError("No module named 'mcp'")

    assert main(["serve"], serve=broken) == 1
    assert capsys.readouterr().err.startswith("model-config: error: the MCP server could not be loaded")
    assert main(["serve"]) == 2  # python -m core has no server to hand over to
    assert "python -m server" in capsys.readouterr().err


def test_console_script_entry_serves_through_the_server_package(monkeypatch):
    import server.cli

    seen: list[list[str]] = []
    monkeypatch.setattr(server.cli, "_serve", lambda argv: seen.append(argv) or 0)
    assert server.cli.main(["serve", "--port", "0"]) == 0
    assert seen == [["--port", "0"]]


def test_claude_code_commands_plug_in_with_the_common_options(monkeypatch, capsys):
    calls: list[argparse.Namespace] = []

    def register(subparsers, parents):
        p = subparsers.add_parser("hello", parents=parents, help="say hello")
        p.add_argument("name")
        p.set_defaults(func=lambda args: calls.append(args) or 7)

    fake = types.ModuleType("core.claude_code.cli")
    fake.register = register  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "core.claude_code.cli", fake)
    assert main(["hello", "world", "--db", "x.db", "--json"]) == 7
    assert main(["--config-dir", "cfg", "hello", "there"]) == 7
    assert [(a.name, a.db, a.config_dir, a.json) for a in calls] == [
        ("world", "x.db", None, True),
        ("there", None, "cfg", False),
    ]
    assert main(["hello"]) == 2
    assert "the following arguments are required: name" in capsys.readouterr().err


def test_handler_errors_become_one_line(monkeypatch, capsys):
    from core.errors import LedgerError

    def register(subparsers, parents):
        for name, exc in (
            ("boom", LedgerError("database is busy")),
            ("gone", FileNotFoundError(2, "No such file", "/x/y")),
        ):
            p = subparsers.add_parser(name, parents=parents)
            p.set_defaults(func=lambda args, exc=exc: (_ for _ in ()).throw(exc))

    fake = types.ModuleType("core.claude_code.cli")
    fake.register = register  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "core.claude_code.cli", fake)
    assert main(["boom"]) == 1
    assert capsys.readouterr().err == "model-config: error: database is busy\n"
    assert main(["gone"]) == 1
    assert capsys.readouterr().err == "model-config: error: /x/y: No such file\n"
