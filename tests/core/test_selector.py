"""Model selection: the documented steps, explainable complexity, budgets shaping the choice."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from core import AlertLevel, IntelligentModelSelector, InvalidUsage, ModelConfigManager, PerformanceProfile
from core.complexity import analyze_complexity


@pytest.fixture
def selector() -> IntelligentModelSelector:
    return IntelligentModelSelector()


# Real task texts, as agents phrase them, with the complexity a reviewer would give them.
TASKS = [
    ("Design microservices architecture for e-commerce platform", "high"),
    ("Design distributed system architecture with security focus", "high"),
    ("Investigate intermittent deadlock in the job scheduler under load", "high"),
    ("Audit the auth flow for CSRF and session fixation vulnerabilities", "high"),
    ("Migrate the orders table to the new schema with zero downtime", "high"),
    ("Implement authentication endpoints", "medium"),
    ("Add pagination to the /users API and write tests for it", "medium"),
    ("Fix the bug where login fails with a 500 error", "medium"),
    ("Refactor the payment module and add tests", "medium"),
    ("Fix typo in README", "low"),
    ("Format the code with black", "low"),
    ("Rename variable foo to bar in utils.py", "low"),
    ("Find where the config file is loaded", "low"),
    ("Update the changelog for release 2.3", "low"),
]


@pytest.mark.parametrize(("text", "level"), TASKS)
def test_complexity_on_real_task_texts(text: str, level: str) -> None:
    analysis = analyze_complexity(text)
    assert analysis.level == level, analysis.explanation
    if level != "medium":
        assert analysis.signals, "a non-default level must name the signals that fired"
        assert all(s.matched.lower() in text.lower() for s in analysis.signals if "steps" not in s.matched)


def test_no_description_is_medium_with_a_reason() -> None:
    analysis = analyze_complexity(None)
    assert analysis.level == "medium" and analysis.signals == [] and "no task description" in analysis.explanation


def test_seed_example_quality_architecture(selector: IntelligentModelSelector) -> None:
    rec = selector.select_model(
        agent_type="software-architect",
        task_description="Design distributed system architecture with security focus",
        budget_remaining=5.0,
        performance_profile=PerformanceProfile.QUALITY,
        estimated_tokens=60000,
    )
    assert rec.model.value == "claude-opus-5" and rec.tier == "opus"
    assert rec.confidence == 0.95
    assert rec.reasoning[0].startswith("Agent 'software-architect' base preference: claude-opus-5")
    assert rec.reasoning[1].startswith("Task complexity: high")
    assert rec.reasoning[2] == "Performance profile 'quality' adjusted to: claude-opus-5"
    # 45k input x $5 + 15k output x $25 per million
    assert rec.estimated_cost == Decimal("0.6")
    assert rec.cost_basis.input_tokens == 45_000 and rec.cost_basis.output_tokens == 15_000
    assert {a.tier: a.estimated_cost for a in rec.alternatives} == {
        "opus": Decimal("0.6"),
        "sonnet": Decimal("0.24"),
        "haiku": Decimal("0.12"),
    }


@pytest.mark.parametrize(
    ("agent", "task", "profile", "tier"),
    [
        ("backend-engineer", "Implement authentication endpoints", None, "sonnet"),
        ("backend-engineer", "Fix typo in README", None, "haiku"),
        ("backend-engineer", "Design the event-driven architecture for billing", None, "opus"),
        ("code-formatter", "Format the code with black", None, "haiku"),
        ("code-formatter", "Implement a new REST API endpoint with tests", None, "sonnet"),
        ("software-architect", "Fix typo in README", None, "sonnet"),
        ("software-architect", None, None, "opus"),
        ("backend-engineer", "Implement authentication endpoints", "fast", "sonnet"),
        ("software-architect", "Implement authentication endpoints", "fast", "sonnet"),
        ("backend-engineer", "Rename a variable", "fast", "haiku"),
        ("Explore", "Find where the config file is loaded", "quality", "sonnet"),
        ("backend-engineer", "Investigate a race condition causing data corruption", "quality", "opus"),
    ],
)
def test_selection_steps(
    selector: IntelligentModelSelector, agent: str, task: str | None, profile: str | None, tier: str
) -> None:
    rec = selector.select_model(agent, task, performance_profile=profile)
    assert rec.tier == tier, rec.reasoning


def test_unknown_agent_gets_a_reasoned_default(selector: IntelligentModelSelector) -> None:
    rec = selector.select_model("zz-widget-9000")
    assert rec.tier == "sonnet" and "unknown agent type" in rec.reasoning[0]
    assert rec.confidence < 0.7


def test_budget_critical_downgrades_one_tier_and_exceeded_forces_cheapest(selector: IntelligentModelSelector) -> None:
    task = "Design distributed system architecture with security focus"
    critical = selector.select_model("software-architect", task, budget_alert_level=AlertLevel.CRITICAL)
    exceeded = selector.select_model("software-architect", task, budget_alert_level="exceeded")
    assert critical.tier == "sonnet" and critical.downgraded_for_budget
    assert exceeded.tier == "haiku" and any("cheapest tier only" in r for r in exceeded.reasoning)


def test_remaining_budget_too_small_steps_down(selector: IntelligentModelSelector) -> None:
    rec = selector.select_model(
        "software-architect", "Design the architecture", budget_remaining=0.3, estimated_tokens=60_000
    )
    assert rec.tier == "sonnet" and rec.estimated_cost <= Decimal("0.3")
    assert any("exceeds the remaining budget" in r for r in rec.reasoning)


def test_mapping_config_pins_agents_and_tiers(tmp_path: Path) -> None:
    (tmp_path / "agent-model-mapping.json").write_text(
        json.dumps(
            {
                "tiers": {"opus": "claude-opus-4-1", "sonnet": "claude-sonnet-4-5", "haiku": "claude-3-5-haiku-latest"},
                "agents": {"doc-bot": "haiku", "reviewer": "claude-opus-4-7"},
                "default_tier": "haiku",
            }
        )
    )
    sel = IntelligentModelSelector(config_dir=tmp_path)
    assert sel.select_model("doc-bot").model.value == "claude-3-5-haiku-latest"
    assert sel.select_model("reviewer").model.value == "claude-opus-4-7"
    assert sel.select_model("mystery").model.value == "claude-3-5-haiku-latest"
    assert sel.select_model("platform-architect").model.value == "claude-opus-4-1"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"agent_type": ""},
        {"agent_type": "a", "performance_profile": "turbo"},
        {"agent_type": "a", "estimated_tokens": 0},
        {"agent_type": "a", "estimated_tokens": 1.5},
        {"agent_type": "a", "budget_remaining": float("nan")},
    ],
)
def test_bad_arguments(selector: IntelligentModelSelector, kwargs: dict) -> None:
    with pytest.raises(InvalidUsage):
        selector.select_model(**kwargs)


def test_manager_selection_reflects_live_budget(tmp_path: Path) -> None:
    m = ModelConfigManager(tmp_path / "s.db", tmp_path)
    assert m.select_model("software-architect", "Design the architecture").tier == "opus"
    m.track_usage("a", "claude-haiku-4-5", 9_500_000, 0)  # $9.50 of the $10 daily budget: critical
    rec = m.select_model("software-architect", "Design the architecture")
    assert rec.budget_alert_level == "critical" and rec.budget_period == "daily"
    assert rec.tier == "sonnet" and rec.downgraded_for_budget
