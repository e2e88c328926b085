"""IntelligentModelSelector: the documented selection steps, each one explained in `reasoning`.

1. Base tier from the agent type: the configured mapping, else role patterns in the name
   (architect/security -> opus; engineer/analyst/reviewer -> sonnet; formatter/explorer -> haiku),
   else the configured default tier (sonnet).
2. Task complexity (core.complexity): high moves the tier up one step, low moves it down one
   step (two steps for a very strong signal); medium only lifts haiku to sonnet. No signals: no move.
3. Performance profile: QUALITY lifts haiku to sonnet and high-complexity work to opus; FAST caps
   at sonnet and sends low-complexity work to haiku; BALANCED keeps the result.
4. Budget: CRITICAL (with auto_downgrade) -> one tier down; EXCEEDED -> the cheapest tier only;
   an estimate larger than the remaining budget steps down until it fits.
5. Confidence: 0.85, +0.10 when the task's complexity agrees with the agent's base tier, minus
   0.10 when complexity moved the tier, 0.15 for an unknown agent type, 0.10 without a task
   description, 0.05 when the profile changed the tier, 0.10 for a budget downgrade; kept in [0.30, 0.95].
"""

from __future__ import annotations

import os
import re
from decimal import Decimal

from .complexity import analyze_complexity
from .config import Settings, load_settings
from .errors import InvalidUsage
from .models import (
    AlertLevel,
    Alternative,
    BudgetPeriod,
    ComplexityAnalysis,
    CostBasis,
    ModelOption,
    ModelRecommendation,
    PerformanceProfile,
    Tier,
)
from .money import pico_to_usd
from .pricing import PriceBook
from .windows import utcnow

_ROLE_PATTERNS: list[tuple[Tier, str, re.Pattern[str]]] = [
    (
        Tier.OPUS,
        "architect/security/planning role",
        re.compile(r"architect|security|secops|auditor|principal|strateg|planner|^plan$|research", re.I),
    ),
    (
        Tier.HAIKU,
        "mechanical/lookup role",
        re.compile(
            r"format|lint|explor|search|summar|translat|scribe|typo|spell|docs?[-_]?writer|changelog|triage|^haiku",
            re.I,
        ),
    ),
    (
        Tier.SONNET,
        "engineering/analysis role",
        re.compile(
            r"engineer|develop|coder|program|analyst|review|test|qa|debug|devops|sre|frontend|backend|fullstack|"
            r"general|implement|refactor|data|ml|writer|assistant|agent",
            re.I,
        ),
    ),
]
_COMPLEXITY_TARGET = {"low": Tier.HAIKU, "medium": Tier.SONNET, "high": Tier.OPUS}
MAX_ESTIMATED_TOKENS = 50_000_000


class IntelligentModelSelector:
    def __init__(
        self,
        settings: Settings | None = None,
        price_book: PriceBook | None = None,
        *,
        config_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.settings = settings or load_settings(config_dir)
        self.prices = price_book or PriceBook(
            overrides=self.settings.price_overrides(), tier_models=dict(self.settings.mapping.tiers)
        )

    def model_for(self, tier: Tier) -> str:
        return self.settings.mapping.tiers.get(tier) or self.prices.alias_target(tier.value) or tier.value

    def base_tier(self, agent_type: str) -> tuple[Tier, str | None, str, bool]:
        """(tier, pinned model id or None, reason, known agent) for an agent type."""
        agents = {k.lower(): v for k, v in self.settings.mapping.agents.items()}
        target = agents.get(agent_type.lower())
        if target is not None:
            try:
                return Tier(target.lower()), None, "configured in agent-model-mapping.json", True
            except ValueError:
                tier = self.prices.tier_of(target) or Tier.SONNET
                return tier, self.prices.canonical_id(target), "configured model in agent-model-mapping.json", True
        for tier, label, pattern in _ROLE_PATTERNS:
            match = pattern.search(agent_type)
            if match:
                return tier, None, f"{label} (matched '{match.group(0)}')", True
        default = self.settings.mapping.default_tier or Tier.SONNET
        return (
            default,
            None,
            f"unknown agent type, so the default {default.value} tier (balanced cost and quality)",
            False,
        )

    def select_model(
        self,
        agent_type: str,
        task_description: str | None = None,
        budget_remaining: float | Decimal | None = None,
        performance_profile: PerformanceProfile | str | None = None,
        estimated_tokens: int = 10_000,
        *,
        budget_alert_level: AlertLevel | str = AlertLevel.OK,
        budget_period: BudgetPeriod | None = None,
    ) -> ModelRecommendation:
        agent_type, profile, estimated_tokens, remaining, alert = _validate(
            agent_type, performance_profile, estimated_tokens, budget_remaining, budget_alert_level
        )
        reasoning: list[str] = []
        confidence = 0.85

        base, pinned, why, known = self.base_tier(agent_type)
        base_model = pinned or self.model_for(base)
        reasoning.append(f"Agent '{agent_type}' base preference: {base_model} ({base.value} tier; {why})")
        if not known:
            confidence -= 0.15

        complexity = analyze_complexity(task_description)
        tier = base
        if not task_description or not task_description.strip():
            confidence -= 0.10
            reasoning.append("Task complexity: unknown (no task description); kept the agent's base tier")
        else:
            tier = _apply_complexity(base, complexity)
            fired = ", ".join(s.name for s in complexity.signals) or "none"
            moved = f"; adjusted to the {tier.value} tier" if tier != base else ""
            reasoning.append(
                f"Task complexity: {complexity.level} (score {complexity.score:+g}; signals: {fired}){moved}"
            )
            if tier != base:
                confidence -= 0.10
            elif complexity.signals and _COMPLEXITY_TARGET[complexity.level] == base:
                confidence += 0.10

        before_profile = tier
        tier = _apply_profile(tier, profile, complexity)
        if pinned and tier == base:
            model_id = pinned
        else:
            model_id = self.model_for(tier)
        reasoning.append(f"Performance profile '{profile.value}' adjusted to: {model_id}")
        if tier != before_profile:
            confidence -= 0.05

        basis = self._basis(estimated_tokens)
        downgraded = False
        if alert is AlertLevel.EXCEEDED and tier != Tier.HAIKU:
            tier, downgraded = Tier.HAIKU, True
            reasoning.append(f"Budget exceeded{_period(budget_period)}: cheapest tier only ({self.model_for(tier)})")
        elif alert is AlertLevel.CRITICAL and tier != Tier.HAIKU:
            tier, downgraded = tier.step(-1), True
            reasoning.append(f"Budget critical{_period(budget_period)}: downgraded one tier to {self.model_for(tier)}")
        elif alert in (AlertLevel.CRITICAL, AlertLevel.EXCEEDED):
            reasoning.append(f"Budget {alert.value}{_period(budget_period)}: already on the cheapest tier")
        if downgraded:
            model_id = self.model_for(tier)
        if remaining is not None:
            cost = self._estimate(model_id, basis)
            while cost is not None and cost > remaining and tier != Tier.HAIKU:
                tier, downgraded = tier.step(-1), True
                model_id = self.model_for(tier)
                reasoning.append(
                    f"Estimated cost ${cost:.4f} exceeds the remaining budget ${remaining:.4f}: "
                    f"downgraded to {model_id}"
                )
                cost = self._estimate(model_id, basis)
        if downgraded:
            confidence -= 0.10

        estimated = self._estimate(model_id, basis)
        cost_text = "unknown (model not in the price catalogue)" if estimated is None else f"${estimated:.4f}"
        reasoning.append(f"Estimated cost {cost_text} for {estimated_tokens:,} tokens ({basis.split})")
        alternatives = [
            Alternative(tier=t, model=self.model_for(t), estimated_cost=self._estimate(self.model_for(t), basis))
            for t in (Tier.OPUS, Tier.SONNET, Tier.HAIKU)
        ]
        return ModelRecommendation(
            model=ModelOption(value=model_id, tier=self.prices.tier_of(model_id) or tier),
            tier=tier,
            estimated_cost=estimated,
            confidence=round(min(0.95, max(0.30, confidence)), 2),
            reasoning=reasoning,
            agent_type=agent_type,
            base_tier=base,
            complexity=complexity,
            performance_profile=profile,
            budget_alert_level=alert,
            budget_period=budget_period,
            budget_remaining=remaining,
            downgraded_for_budget=downgraded,
            alternatives=alternatives,
            cost_basis=basis,
        )

    def _basis(self, tokens: int) -> CostBasis:
        est = self.settings.cost.estimation
        output = round(tokens * est.output_share)
        prompt = tokens - output
        cached = round(prompt * est.cache_read_share_of_input)
        split = f"{1 - est.output_share:.0%} input / {est.output_share:.0%} output"
        if cached:
            split += f", {est.cache_read_share_of_input:.0%} of input read from cache"
        return CostBasis(
            estimated_tokens=tokens,
            input_tokens=prompt - cached,
            output_tokens=output,
            cache_read_input_tokens=cached,
            split=split,
        )

    def _estimate(self, model_id: str, basis: CostBasis) -> Decimal | None:
        parts = self.prices.price(
            model_id,
            utcnow(),
            input_tokens=basis.input_tokens,
            output_tokens=basis.output_tokens,
            cache_read_input_tokens=basis.cache_read_input_tokens,
        )
        return pico_to_usd(parts.total_pico) if parts.priced else None


def _apply_complexity(base: Tier, complexity: ComplexityAnalysis) -> Tier:
    if not complexity.signals:
        return base
    if complexity.level == "high" and base != Tier.OPUS:
        return base.step(2 if complexity.score >= 6 else 1)
    if complexity.level == "low" and base != Tier.HAIKU:
        return base.step(-2 if complexity.score <= -4 else -1)
    if complexity.level == "medium" and base == Tier.HAIKU and complexity.score > 0:
        return Tier.SONNET
    return base


def _apply_profile(tier: Tier, profile: PerformanceProfile, complexity: ComplexityAnalysis) -> Tier:
    if profile is PerformanceProfile.QUALITY:
        if complexity.level == "high" and complexity.signals:
            return Tier.OPUS
        return max(tier, Tier.SONNET, key=lambda t: t.rank)
    if profile is PerformanceProfile.FAST:
        if complexity.level == "low" and complexity.signals:
            return Tier.HAIKU
        return min(tier, Tier.SONNET, key=lambda t: t.rank)
    return tier


def _period(period: BudgetPeriod | None) -> str:
    return f" ({period.value} budget)" if period else ""


def _validate(
    agent_type: object,
    profile: object,
    tokens: object,
    remaining: object,
    alert: object,
) -> tuple[str, PerformanceProfile, int, Decimal | None, AlertLevel]:
    if not isinstance(agent_type, str) or not agent_type.strip():
        raise InvalidUsage("agent_type must be a non-empty string, e.g. 'backend-engineer'")
    if len(agent_type) > 200:
        raise InvalidUsage("agent_type is longer than 200 characters")
    try:
        prof = PerformanceProfile(str(profile)) if profile is not None else PerformanceProfile.BALANCED
    except ValueError:
        raise InvalidUsage(f"unknown performance_profile {profile!r}; use fast, balanced or quality") from None
    if isinstance(tokens, bool) or not isinstance(tokens, int) or not 0 < tokens <= MAX_ESTIMATED_TOKENS:
        raise InvalidUsage(
            f"estimated_tokens must be a whole number from 1 to {MAX_ESTIMATED_TOKENS:,}, got {tokens!r}"
        )
    rem: Decimal | None = None
    if remaining is not None:
        try:
            rem = Decimal(str(remaining))
        except ArithmeticError:
            raise InvalidUsage(f"budget_remaining must be a number of USD, got {remaining!r}") from None
        if not rem.is_finite():
            raise InvalidUsage("budget_remaining must be a finite number of USD")
    try:
        level = AlertLevel(str(alert))
    except ValueError:
        raise InvalidUsage(f"unknown budget alert level {alert!r}") from None
    return agent_type.strip(), prof, tokens, rem, level
