"""`track`, the exports and `prune`, as a subprocess; pruning keeps every total the reports read."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from core import ModelConfigManager


def test_track_records_and_reports_cost(cli):
    r = cli(
        "track",
        "backend-engineer",
        "claude-sonnet-4-5",
        "30000",
        "10000",
        "--project",
        "api-redesign",
        "--task",
        "Implement authentication endpoints",
        "--cache-read",
        "5000",
    )
    assert r.code == 0, r
    assert r.out.startswith(
        "Recorded $0.2415 for backend-engineer on claude-sonnet-4-5 (30,000 in, 10,000 out, 5,000 cache read)"
    )
    with ModelConfigManager() as m:
        (rec,) = m.cost_tracker.get_records()
    assert (rec.project_id, rec.input_tokens, rec.cache_read_input_tokens) == ("api-redesign", 30_000, 5_000)
    assert str(rec.total_cost) == "0.2415"  # 30k x $3 + 10k x $15 + 5k x $0.30 per million


def test_track_json_idempotency_and_alerts(cli, write_config):
    write_config(cost={"budget_limits": {"daily": {"limit": 1}}})
    args = ("track", "main", "opus", "100000", "20000", "--request-id", "req_01", "--json")
    first = cli(*args)
    assert first.code == 0, first
    data = first.json()
    assert data["duplicate"] is False and data["model_type"] == "claude-opus-5" and data["total_cost"] == 1
    assert [(a["period"], a["level"]) for a in data["new_alerts"]] == [
        ("daily", "info"),
        ("daily", "warning"),
        ("daily", "critical"),
        ("daily", "exceeded"),
    ]
    again = cli(*args)
    assert again.code == 0 and again.json()["duplicate"] is True and again.json()["record_id"] == data["record_id"]
    human = cli("track", "main", "opus", "100000", "20000", "--request-id", "req_01")
    assert human.out.startswith("Already recorded: request req_01")
    with ModelConfigManager() as m:
        assert m.ledger.count() == 1


def test_track_options_and_local_timestamps(cli):
    r = cli(
        "track",
        "reviewer",
        "haiku",
        "1_000",
        "200",
        "--cache-write",
        "4000",
        "--cache-write-1h",
        "1000",
        "--web-search",
        "2",
        "--batch",
        "--session",
        "s1",
        "--timestamp",
        "2025-10-05 14:30",
        "--json",
        env={"TZ": "Europe/Paris"},
    )
    assert r.code == 0, r
    data = r.json()
    assert data["timestamp"] == "2025-10-05T12:30:00Z"  # 14:30 in Paris (summer time)
    assert (data["cache_creation_input_tokens"], data["cache_creation_1h_input_tokens"]) == (4000, 1000)
    assert (data["web_search_requests"], data["batch"], data["session_id"]) == (2, True, "s1")


def test_track_bad_input(cli, run_main):
    future = cli("track", "a", "sonnet", "1", "3", "--timestamp", "2099-01-01T00:00Z")
    assert future.code == 2 and "is in the future" in future.err and "Traceback" not in future.err
    negative = run_main("track", "a", "sonnet", "-1", "3")
    assert negative.code == 2 and "must not be negative" in negative.err
    split = run_main("track", "a", "sonnet", "1", "3", "--cache-write", "10", "--cache-write-1h", "20")
    assert split.code == 2 and "cannot exceed" in split.err
    bad_time = run_main("track", "a", "sonnet", "1", "3", "--timestamp", "yesterday")
    assert bad_time.code == 2 and "ISO 8601" in bad_time.err
    unpriced = run_main("track", "a", "my-local-model", "1", "3")
    assert unpriced.code == 0 and "no price known for model 'my-local-model'" in unpriced.out
    with ModelConfigManager() as m:
        assert m.ledger.count() == 1


def test_export_costs(seeded, cli, isolated_env: Path):
    r = cli("export-costs", "all.csv")
    assert r.code == 0, r
    assert r.out.strip() == f"Wrote {seeded['records']:,} record(s) from all time to all.csv"
    with (isolated_env / "all.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == seeded["records"]
    week = cli("export-costs", "week.csv", "--days", "7", "--json")
    assert week.code == 0, week
    data = week.json()
    assert data == {"path": str(isolated_env / "week.csv"), "days": 7, "rows": 7 * 3 + 3}
    assert not r.err and not week.err  # no progress bar off the terminal


def test_export_analytics(seeded, cli, isolated_env: Path):
    r = cli("export-analytics", "report.json", "--days", "7")
    assert r.code == 0, r
    report = json.loads((isolated_env / "report.json").read_text())
    assert list(report) == [
        "generated_at",
        "days",
        "database",
        "dashboard",
        "budget_report",
        "agent_efficiency",
        "roi",
        "recommendations",
    ]
    assert report["days"] == 7 and len(report["dashboard"]["daily"]) == 7
    as_json = cli("export-analytics", "r2.json", "--json")
    assert as_json.json() == {"path": str(isolated_env / "r2.json"), "days": 30}


def test_export_errors(cli, isolated_env: Path):
    missing_dir = cli("export-costs", "nowhere/x.csv")
    assert missing_dir.code == 1 and missing_dir.err.strip() == "model-config: error: directory nowhere does not exist"
    a_dir = cli("export-analytics", str(isolated_env))
    assert a_dir.code == 1 and "is a directory; give a file name" in a_dir.err
    assert cli("export-costs").code == 2


def _views(cli) -> dict[str, object]:
    """Everything that must read the same before and after pruning (the clock-driven forecast aside).

    Read in-process (the same command line, faster); the pruning itself runs in a subprocess.
    """

    def strip(status: dict) -> dict:
        return {k: v for k, v in status.items() if k not in ("new_alerts", "forecasted_spending", "forecast_method")}

    budget = cli("budget", "--json").json()
    status = cli("status", "--json").json()
    return {
        "dashboard": cli("dashboard", "60", "--json").json(),
        "budgets": {p: strip(s) for p, s in budget["periods"].items()},
        "all_time": budget["total_spending_all_time"],
        "daily": cli("summary", "--by", "date", "--days", "60", "--json").json(),
        "agents": cli("summary", "--by", "agent", "--json").json(),
        "projects": cli("summary", "--by", "project", "--json").json(),
        "today": status["today"],
    }


def test_prune_keeps_dashboards_budgets_and_daily_totals(seeded, cli, run_main):
    before = _views(run_main)
    dry = cli("prune", "--older-than", "10", "--dry-run", "--json")
    assert dry.code == 0, dry
    plan = dry.json()
    assert plan["records_before_cutoff"] == 30 * 3 and plan["deleted"] == 0 and plan["dry_run"] is True
    assert plan["cutoff"].endswith("T00:00:00Z")
    with ModelConfigManager() as m:
        assert m.ledger.count() == seeded["records"]  # a dry run deletes nothing

    done = cli("prune", "--older-than", "10")
    assert done.code == 0, done
    assert done.out.startswith(f"Deleted 90 of {seeded['records']:,} record(s) from before ")
    after = _views(run_main)
    assert after == before
    with ModelConfigManager() as m:
        assert m.ledger.count() == seeded["records"] - 90
    # Per-request detail now starts at the cutoff.
    assert cli("export-costs", "x.csv", "--json").json()["rows"] == seeded["records"] - 90
    assert cli("prune", "--older-than", "10", "--json").json()["deleted"] == 0  # idempotent


def test_prune_uses_configured_retention_and_refuses_otherwise(seeded, cli, write_config):
    refused = cli("prune")
    assert refused.code == 2
    assert "nothing to prune: give --older-than DAYS, or set retention.detail_days" in refused.err
    with ModelConfigManager() as m:
        assert m.ledger.count() == seeded["records"]
    write_config(cost={"retention": {"detail_days": 30}})
    done = cli("prune", "--json")
    assert done.code == 0, done
    data = done.json()
    assert (data["older_than_days"], data["source"], data["deleted"]) == (30, "retention.detail_days", 10 * 3)
    assert cli("status", "--json").json()["config"]["retention_detail_days"] == 30
    assert cli("prune", "--older-than", "0").code == 2
