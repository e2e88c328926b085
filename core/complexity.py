"""Task complexity analysis: explainable signals found in a task description.

Each signal is a named pattern with a level and a weight; the analysis reports which signals
fired and how they add up, so a recommendation can say *why* a task looked hard or easy.
Points: high signals add, low signals subtract, medium signals add a little. The total decides:
>= 3 points -> high, <= -1 -> low, otherwise medium. No signal at all -> medium ("unknown").
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import Literal

from .models import ComplexityAnalysis, ComplexitySignal

HIGH_AT = 3.0
LOW_AT = -1.0

# (name, level, weight, pattern). Patterns are matched case-insensitively at word starts.
_SIGNALS: list[tuple[str, str, float, str]] = [
    # High: design-level reasoning, risk, scale, subtle correctness.
    ("architecture", "high", 3.0, r"architect\w*|system design|design (?:a |the )?(?:system|platform|service)"),
    ("distributed systems", "high", 2.0, r"distributed|microservices?|event[- ]driven|consensus|replication|sharding"),
    (
        "security",
        "high",
        3.0,
        r"security|vulnerabilit\w*|threat model\w*|exploit\w*|cve-|penetration|cryptograph\w*|xss|csrf|injection",
    ),
    (
        "concurrency",
        "high",
        2.0,
        r"concurren\w*|race conditions?|deadlocks?|thread[- ]safe\w*|lock[- ]free|parallel\w*",
    ),
    (
        "performance engineering",
        "high",
        1.5,
        r"performance|latency|throughput|scalab\w*|bottlenecks?|profil\w+|optimi[sz]e (?:the )?(?:hot|critical)",
    ),
    (
        "root-cause analysis",
        "high",
        1.5,
        r"root[- ]cause|intermittent\w*|flaky|heisenbug|memory leaks?|corrupt\w*|production (?:incident|outage|bug)",
    ),
    (
        "migration / large refactor",
        "high",
        1.5,
        r"migrat\w+|rewrite|re-architect\w*|(?:large|major|big|entire|whole)[- ]\w*\s*refactor\w*|refactor\w* (?:the )?(?:entire|whole)",
    ),
    ("algorithms", "high", 1.5, r"algorithm\w*|complexity analysis|proofs?|formal verification|invariants?|np-hard"),
    (
        "trade-offs",
        "high",
        1.0,
        r"trade-?offs?|zero[- ]downtime|high[- ]availability|fault[- ]toleran\w*|evaluate (?:options|alternatives)|strategy|roadmap|compliance|audit\w*",
    ),
    (
        "wide scope",
        "high",
        1.0,
        r"entire (?:codebase|repo\w*|system|project)|across (?:the )?(?:codebase|repo\w*|services)|end[- ]to[- ]end|multi[- ](?:tenant|region|step)",
    ),
    # Medium: ordinary engineering work.
    (
        "implementation",
        "medium",
        1.0,
        r"implement\w*|build\w*|develop\w*|create (?:a |an |the )?(?:new )?(?:feature|service|module|endpoint|api|component)|add (?:a |an )?(?:new )?feature",
    ),
    ("api / data work", "medium", 0.5, r"endpoints?|apis?|rest|graphql|database|schema|queries|query|sql|orm"),
    ("testing", "medium", 0.5, r"tests?|testing|pytest|unit tests?|integration tests?|coverage"),
    (
        "debugging",
        "medium",
        0.5,
        r"debug\w*|fix (?:the |a )?(?:bug|issue|error|crash)|bug\w*|errors?|exceptions?|stack ?trace",
    ),
    ("refactoring", "medium", 0.5, r"refactor\w*|clean ?up|restructur\w*"),
    ("code review", "medium", 0.5, r"review\w*|pull request|\bpr\b"),
    # Low: mechanical, lookup or text chores.
    ("formatting", "low", -1.5, r"format\w*|lint\w*|whitespace|indent\w*|prettier|black|ruff"),
    ("typos / renames", "low", -1.5, r"typos?|spelling|rename\w*|wording"),
    ("docs / comments", "low", -1.0, r"docstrings?|comments?|readme|changelog|documentation"),
    (
        "lookup / exploration",
        "low",
        -1.0,
        r"find|search|grep|locate|list (?:the |all )?files|look up|explore|where is|summari[sz]e\w*",
    ),
    ("trivial wording", "low", -1.5, r"trivial|simple|quick|small|minor|tiny|one[- ]line\w*|just"),
    ("chores", "low", -1.0, r"bump (?:the )?version|update (?:the )?dependenc\w*|translate|boilerplate|copy"),
]

_STEP_PATTERN = r"(?:^|\n)\s*(?:\d+[.)]|[-*])\s+|\b(?:then|after that|finally)\b"


@cache
def _compiled() -> tuple[list[tuple[str, str, float, re.Pattern[str]]], re.Pattern[str]]:
    """The signals' patterns and the step pattern, compiled on first use: compiling them cost every
    process that imports this module (each hook run, say) ~4 ms, most never analysing a task."""
    signals = [
        (name, level, weight, re.compile(rf"(?<![\w-])(?:{pattern})(?![\w])", re.IGNORECASE))
        for name, level, weight, pattern in _SIGNALS
    ]
    return signals, re.compile(_STEP_PATTERN, re.IGNORECASE)


_MAX_ANALYSED = 20_000


def analyze_complexity(task_description: str | None) -> ComplexityAnalysis:
    """Classify a task description as low / medium / high complexity, with the signals that fired."""
    if not task_description or not task_description.strip():
        return ComplexityAnalysis(
            level="medium", score=0.0, signals=[], explanation="no task description; assumed medium"
        )
    return _analyze(task_description[:_MAX_ANALYSED])


@lru_cache(maxsize=4096)
def _analyze(text: str) -> ComplexityAnalysis:
    signals: list[ComplexitySignal] = []
    compiled, step_pattern = _compiled()
    for name, signal_level, weight, pattern in compiled:
        match = pattern.search(text)
        if match:
            signals.append(
                ComplexitySignal(name=name, level=signal_level, weight=weight, matched=match.group(0))  # type: ignore[arg-type]
            )
    steps = len(step_pattern.findall(text))
    if steps >= 3:
        signals.append(ComplexitySignal(name="multi-step task", level="high", weight=1.0, matched=f"{steps} steps"))
    words = len(text.split())
    if words >= 120:
        signals.append(
            ComplexitySignal(name="long specification", level="medium", weight=1.0, matched=f"{words} words")
        )
    score = round(sum(s.weight for s in signals), 2)
    if not signals:
        return ComplexityAnalysis(
            level="medium", score=0.0, signals=[], explanation="no complexity signals found; assumed medium"
        )
    level: Literal["low", "medium", "high"] = "high" if score >= HIGH_AT else "low" if score <= LOW_AT else "medium"
    fired = ", ".join(f"{s.name} ({s.weight:+g}: '{s.matched}')" for s in signals)
    return ComplexityAnalysis(
        level=level, score=score, signals=signals, explanation=f"{level} (score {score:+g}): {fired}"
    )
