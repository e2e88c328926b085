"""Every tool through an in-process client, in both protocol eras (the `client` fixture is parametrized)."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from server.state import ServerState

pytestmark = pytest.mark.anyio

READ_ONLY = {
    "select_model",
    "check_budget",
    "get_budget_report",
    "list_models",
    "get_dashboard",
    "get_cost_summary",
    "get_usage_records",
    "get_agent_efficiency",
    "calculate_roi",
    "get_recommendations",
}
WRITING = {"track_usage", "export_cost_history", "export_analytics", "import_claude_code_usage"}
SONNET = "claude-sonnet-4-5"  # $3 input / $15 output per million tokens


def seed(state: ServerState, n: int = 3, **kw: Any) -> None:
    args = {"agent_type": "backend-engineer", "model_type": SONNET, "input_tokens": 1000, "output_tokens": 100} | kw
    for i in range(n):
        state.manager.track_usage(**args, request_id=f"seed-{args['agent_type']}-{i}")


def rows(state: ServerState) -> int:
    return state.manager.ledger.count()


# -- the catalogue of tools -------------------------------------------------------------------


async def test_every_tool_is_described_typed_and_annotated(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == READ_ONLY | WRITING
    for name, tool in tools.items():
        assert tool.description and "Call this" in tool.description, name
        assert len(tool.description.encode()) < 2048, name
        assert tool.output_schema is not None and tool.output_schema["type"] == "object", name
        assert tool.annotations is not None and tool.annotations.open_world_hint is False, name
        assert tool.annotations.read_only_hint is (name in READ_ONLY), name
        assert tool.input_schema["additionalProperties"] is False, name
        for arg, schema in tool.input_schema.get("properties", {}).items():
            assert schema.get("description"), f"{name}.{arg} has no description"
    track = tools["track_usage"]
    assert track.annotations.idempotent_hint is True and track.annotations.destructive_hint is False
    assert "request_id" in track.input_schema["properties"]
    assert set(track.input_schema["required"]) == {"agent_type", "model_type", "input_tokens", "output_tokens"}
    assert tools["get_dashboard"].input_schema["properties"]["days"]["maximum"] == 366
    assert tools["check_budget"].input_schema["properties"]["period"]["enum"] == ["daily", "weekly", "monthly"]


# -- select_model -------------------------------------------------------------------------------


async def test_select_model_explains_choice_and_budget(client: Client, ok: Callable[..., Any]) -> None:
    data = await ok(
        client,
        "select_model",
        {
            "agent_type": "docs-writer",
            "task_description": "Fix a typo in the README",
            "estimated_tokens": 2000,
        },
    )
    assert data["tier"] == "haiku" and data["model"]["value"] == "claude-haiku-4-5"
    assert data["budget_alert_level"] == "ok" and data["downgraded_for_budget"] is False
    assert data["estimated_cost"] > 0 and len(data["alternatives"]) == 3 and data["reasoning"]


async def test_select_model_downgrades_when_budget_exceeded(
    client: Client, ok: Callable[..., Any], state: ServerState, write_config: Callable[..., Path]
) -> None:
    write_config({"budget_limits": {"daily": {"limit": 0.01}}})
    seed(state, 3)  # 3 x $0.0045 against a $0.01 daily budget
    data = await ok(
        client,
        "select_model",
        {
            "agent_type": "security-architect",
            "task_description": "Design a distributed consensus architecture for multi-region failover",
        },
    )
    assert data["budget_alert_level"] == "exceeded" and data["budget_period"] == "daily"
    assert data["downgraded_for_budget"] is True and data["tier"] == "haiku"
    assert data["budget_remaining"] < 0
    assert any("Budget exceeded" in step for step in data["reasoning"])


async def test_select_model_rejects_bad_arguments(client: Client, fails: Callable[..., Any]) -> None:
    assert "validation error" in await fails(client, "select_model", {"agent_type": ""})
    assert "validation error" in await fails(
        client, "select_model", {"agent_type": "x", "performance_profile": "turbo"}
    )
    assert "validation error" in await fails(client, "select_model", {"agent_type": "x", "estimated_tokens": 0})


# -- track_usage --------------------------------------------------------------------------------


async def test_track_usage_records_prices_and_is_idempotent(
    client: Client, ok: Callable[..., Any], state: ServerState
) -> None:
    args = {
        "agent_type": "backend-engineer",
        "model_type": "claude-sonnet-4-5-20250929",
        "input_tokens": 100_000,
        "output_tokens": 20_000,
        "cache_read_input_tokens": 50_000,
        "request_id": "msg_01",
        "project_id": "shop",
    }
    first = await ok(client, "track_usage", args)
    assert first["recorded"] is True and first["record"]["duplicate"] is False
    assert first["record"]["total_cost"] == pytest.approx(0.3 + 0.3 + 0.015)
    assert first["summary"].startswith("Recorded $0.615000 for backend-engineer")
    again = await ok(client, "track_usage", args)
    assert again["recorded"] is False and again["record"]["record_id"] == first["record"]["record_id"]
    assert "nothing was added" in again["summary"]
    assert rows(state) == 1


async def test_track_usage_reports_thresholds_it_crosses(
    client: Client, ok: Callable[..., Any], write_config: Callable[..., Path]
) -> None:
    write_config({"budget_limits": {"daily": {"limit": 1}, "weekly": {"limit": 100}, "monthly": {"limit": 100}}})
    call = {"agent_type": "a", "model_type": SONNET, "input_tokens": 100_000, "output_tokens": 20_000}  # $0.60
    first = await ok(client, "track_usage", call)
    assert [(a["period"], a["level"]) for a in first["record"]["new_alerts"]] == [("daily", "info")]
    assert "Budget alert: global daily spending reached INFO ($0.60 of $1.00, 60%)" in first["summary"]
    second = await ok(client, "track_usage", call | {"output_tokens": 0})  # +$0.30 -> 90%
    assert [a["level"] for a in second["record"]["new_alerts"]] == ["warning", "critical"]
    third = await ok(client, "track_usage", call | {"input_tokens": 1000, "output_tokens": 0})
    assert third["record"]["new_alerts"] == []


async def test_track_usage_bad_input_writes_nothing(
    client: Client, fails: Callable[..., Any], state: ServerState
) -> None:
    base = {"agent_type": "a", "model_type": SONNET, "input_tokens": 10, "output_tokens": 10}
    assert "validation error" in await fails(client, "track_usage", base | {"input_tokens": -1})
    assert "validation error" in await fails(client, "track_usage", {"agent_type": "a", "model_type": SONNET})
    assert "validation error" in await fails(client, "track_usage", base | {"input_tokens": "lots"})
    split = base | {
        "cache_creation_input_tokens": 10,
        "cache_creation_5m_input_tokens": 3,
        "cache_creation_1h_input_tokens": 3,
    }
    message = await fails(client, "track_usage", split)
    assert "invalid usage, nothing recorded" in message and "must equal cache_creation_input_tokens" in message
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert "is in the future" in await fails(client, "track_usage", base | {"timestamp": future})
    assert rows(state) == 0


async def test_unknown_model_is_recorded_without_a_cost(client: Client, ok: Callable[..., Any]) -> None:
    data = await ok(
        client, "track_usage", {"agent_type": "a", "model_type": "gpt-9", "input_tokens": 5, "output_tokens": 5}
    )
    assert data["record"]["priced"] is False and "no cost" in data["summary"]


# -- budgets ------------------------------------------------------------------------------------


async def test_check_budget_and_report(
    client: Client,
    ok: Callable[..., Any],
    fails: Callable[..., Any],
    state: ServerState,
    write_config: Callable[..., Path],
) -> None:
    write_config({"scoped_budgets": {"project:shop": {"daily": {"limit": 1}}}})
    seed(state, 2, project_id="shop")
    daily = await ok(client, "check_budget")
    assert daily["period"] == "daily" and daily["scope"] == "global" and daily["current_spending"] == 0.009
    assert daily["budget_limit"] == 10 and daily["alert_level"] == "ok"
    weekly = await ok(client, "check_budget", {"period": "weekly"})
    assert weekly["window_end"] > weekly["window_start"]
    scoped = await ok(client, "check_budget", {"scope": "project:shop"})
    assert scoped["budget_limit"] == 1 and scoped["current_spending"] == 0.009
    assert "no weekly budget is configured for scope 'project:shop'" in await fails(
        client, "check_budget", {"period": "weekly", "scope": "project:shop"}
    )
    assert "unknown budget scope" in await fails(client, "check_budget", {"scope": "team:x"})
    assert "validation error" in await fails(client, "check_budget", {"period": "yearly"})
    assert "Extra inputs are not permitted" in await fails(client, "check_budget", {"perod": "weekly"})
    report = await ok(client, "get_budget_report")
    assert set(report["periods"]) == {"daily", "weekly", "monthly"}
    assert [s["scope"] for s in report["scoped"]] == ["project:shop"]
    assert report["total_spending_all_time"] == 0.009


async def test_a_bad_config_file_is_reported_and_can_be_fixed_without_a_restart(
    client: Client, ok: Callable[..., Any], fails: Callable[..., Any], write_config: Callable[..., Path]
) -> None:
    path = write_config({"budget_limits": {"daily": {"limit": -5}}})
    message = await fails(client, "check_budget")
    assert str(path) in message and "budget_limits.daily.limit" in message
    write_config({"budget_limits": {"daily": {"limit": 5}}})
    assert (await ok(client, "check_budget"))["budget_limit"] == 5


# -- reports ------------------------------------------------------------------------------------


async def test_dashboard(client: Client, ok: Callable[..., Any], fails: Callable[..., Any], state: ServerState) -> None:
    seed(state, 3)
    seed(state, 1, agent_type="qa-engineer", model_type="claude-haiku-4-5")
    data = await ok(client, "get_dashboard", {"days": 3})
    assert data["summary"]["total_operations"] == 4 and data["agents_total"] == 2
    assert [a["agent_type"] for a in data["top_agents"]] == ["backend-engineer", "qa-engineer"]
    assert len(data["daily"]) == 3
    for days in (0, 367):
        assert "validation error" in await fails(client, "get_dashboard", {"days": days})


async def test_cost_summary_groups_filters_and_pages(
    client: Client, ok: Callable[..., Any], state: ServerState
) -> None:
    seed(state, 3, project_id="shop")
    seed(state, 2, agent_type="qa-engineer", model_type="claude-haiku-4-5", project_id="shop")
    seed(state, 1, agent_type="ops", project_id="infra")
    by_agent = await ok(client, "get_cost_summary", {"group_by": "agent", "limit": 2})
    assert by_agent["total_groups"] == 3 and by_agent["next_offset"] == 2
    assert [i["dimension_value"] for i in by_agent["items"]] == ["backend-engineer", "ops"]
    rest = await ok(client, "get_cost_summary", {"group_by": "agent", "limit": 2, "offset": 2})
    assert [i["dimension_value"] for i in rest["items"]] == ["qa-engineer"] and rest["next_offset"] is None
    assert by_agent["total_cost"] == pytest.approx(sum(i["total_cost"] for i in by_agent["items"] + rest["items"]))
    by_model = await ok(client, "get_cost_summary", {"group_by": "model", "project_id": "shop"})
    assert {i["dimension_value"]: i["record_count"] for i in by_model["items"]} == {SONNET: 3, "claude-haiku-4-5": 2}
    assert by_model["filters"] == {"project_id": "shop"}
    by_date = await ok(client, "get_cost_summary", {"group_by": "date", "days": 2, "agent_type": "ops"})
    assert [i["record_count"] for i in by_date["items"]] == [0, 1]
    all_time = await ok(client, "get_cost_summary", {"group_by": "project", "days": None})
    assert all_time["days"] is None and all_time["total_groups"] == 2


async def test_usage_records_page(client: Client, ok: Callable[..., Any], state: ServerState) -> None:
    seed(state, 5)
    first = await ok(client, "get_usage_records", {"limit": 2})
    assert first["total_records"] == 5 and len(first["records"]) == 2 and first["next_offset"] == 2
    last = await ok(client, "get_usage_records", {"limit": 2, "offset": 4})
    assert len(last["records"]) == 1 and last["next_offset"] is None
    none = await ok(client, "get_usage_records", {"agent_type": "nobody"})
    assert none["total_records"] == 0 and none["records"] == []


async def test_agent_efficiency(
    client: Client, ok: Callable[..., Any], fails: Callable[..., Any], state: ServerState
) -> None:
    seed(state, 2, task_description="Fix a typo in the README", model_type="claude-opus-5")
    data = await ok(client, "get_agent_efficiency", {"agent_type": "backend-engineer", "days": 7})
    assert data["total_operations"] == 2 and data["preferred_model"] == "claude-opus-5"
    assert data["score_breakdown"]["right_sizing"] == 0 and data["optimization_opportunities"]
    assert "validation error" in await fails(client, "get_agent_efficiency", {"agent_type": ""})


async def test_roi(client: Client, ok: Callable[..., Any], fails: Callable[..., Any], state: ServerState) -> None:
    seed(state, 4)
    data = await ok(client, "calculate_roi", {"time_period_days": 7, "hourly_rate": 120})
    assert data["total_operations"] == 4 and data["assumptions"]["hourly_rate"] == 120
    assert data["estimated_labor_cost_saved"] > data["total_cost"]
    assert "validation error" in await fails(client, "calculate_roi", {"hourly_rate": -1})


async def test_recommendations_page(client: Client, ok: Callable[..., Any], state: ServerState) -> None:
    seed(state, 3, model_type="claude-opus-5", task_description="Fix a typo in the README")
    seed(state, 3, agent_type="docs-writer", model_type="claude-opus-5", task_description="Format the changelog")
    data = await ok(client, "get_recommendations", {"days": 7, "limit": 1})
    assert data["total"] == 2 and data["next_offset"] == 1 and len(data["items"]) == 1
    assert data["items"][0]["kind"] == "right_size" and data["items"][0]["estimated_monthly_saving_usd"] > 0
    assert data["total_estimated_monthly_saving_usd"] >= data["items"][0]["estimated_monthly_saving_usd"]


async def test_list_models(client: Client, ok: Callable[..., Any]) -> None:
    data = await ok(client, "list_models", {"limit": 5})
    assert [t["tier"] for t in data["tiers"]] == ["haiku", "sonnet", "opus"]
    assert data["aliases"]["haiku"] == "claude-haiku-4-5"
    assert len(data["models"]) == 5 and data["next_offset"] == 5 and data["total_models"] > 5
    sonnet = next(t for t in data["tiers"] if t["tier"] == "sonnet")
    assert sonnet["price"]["input_usd_per_mtok"] > 0
    haiku = await ok(client, "list_models", {"tier": "haiku", "limit": 100})
    assert haiku["models"] and {m["tier"] for m in haiku["models"]} == {"haiku"}


# -- exports ------------------------------------------------------------------------------------


async def test_export_cost_history_writes_inside_export_dir(
    client: Client, ok: Callable[..., Any], state: ServerState, export_dir: Path
) -> None:
    seed(state, 3)
    data = await ok(client, "export_cost_history", {"filename": "costs.csv", "days": 7})
    path = Path(data["path"])
    assert path == export_dir.resolve() / "costs.csv" and data["rows"] == 3
    with path.open(newline="", encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == 3
    report = await ok(client, "export_analytics", {"filename": "report.json", "days": 7})
    assert json.loads(Path(report["path"]).read_text())["dashboard"]["summary"]["total_operations"] == 3


@pytest.mark.parametrize(
    ("filename", "problem"),
    [
        ("../escape.csv", "not a plain file name"),
        ("sub/escape.csv", "not a plain file name"),
        ("..", "not a plain file name"),
        ("/tmp/escape.csv", "not a plain file name"),
        ("..\\escape.csv", "not a plain file name"),
        (".hidden.csv", "hidden file name"),
        ("costs.txt", "must end in .csv"),
    ],
)
async def test_export_refuses_paths_outside_export_dir(
    client: Client, fails: Callable[..., Any], tmp_path: Path, filename: str, problem: str
) -> None:
    message = await fails(client, "export_cost_history", {"filename": filename})
    assert problem in message and "written in" in message
    assert not (tmp_path / "escape.csv").exists() and not Path("/tmp/escape.csv").exists()


async def test_export_refuses_a_symlink_out_of_export_dir(
    client: Client, fails: Callable[..., Any], export_dir: Path, tmp_path: Path
) -> None:
    export_dir.mkdir()
    outside = tmp_path / "outside.csv"
    outside.write_text("keep me")
    (export_dir / "link.csv").symlink_to(outside)
    assert "is not a regular file" in await fails(client, "export_cost_history", {"filename": "link.csv"})
    assert outside.read_text() == "keep me"


# -- Claude Code import -------------------------------------------------------------------------


def write_transcript(isolated_env: Path, message_id: str = "msg_01") -> None:
    project = isolated_env / "claude" / "projects" / "-work-app"
    project.mkdir(parents=True, exist_ok=True)
    line = {
        "type": "assistant",
        "isSidechain": False,
        "sessionId": "5f0c1d2e",
        "cwd": "/work/app",
        "timestamp": (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "requestId": f"req_{message_id}",
        "message": {
            "model": "claude-sonnet-4-5-20250929",
            "id": message_id,
            "role": "assistant",
            "usage": {
                "input_tokens": 1000,
                "output_tokens": 200,
                "cache_read_input_tokens": 0,
                "cache_creation_input_tokens": 0,
            },
        },
    }
    with (project / "5f0c1d2e.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")


async def test_import_claude_code_usage_is_incremental(
    client: Client, ok: Callable[..., Any], isolated_env: Path, state: ServerState
) -> None:
    write_transcript(isolated_env)
    first = await ok(client, "import_claude_code_usage")
    assert first["summary"]["new_records"] == 1
    again = await ok(client, "import_claude_code_usage")
    assert again["summary"]["new_records"] == 0
    assert rows(state) == 1


async def test_reports_auto_import_when_enabled(
    client: Client, ok: Callable[..., Any], isolated_env: Path, write_config: Callable[..., Path]
) -> None:
    write_config({"claude_code": {"auto_import": True}})
    write_transcript(isolated_env)
    data = await ok(client, "get_dashboard", {"days": 1})
    assert data["summary"]["total_operations"] == 1
