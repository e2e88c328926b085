"""ModelConfigManager: the orchestrator the original system documented, over one ledger and config."""

from __future__ import annotations

import json
import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .budgets import BudgetManager, BudgetReport
from .config import Settings, load_settings
from .export import export_target
from .files import atomic_file
from .models import (
    AgentEfficiency,
    AlertLevel,
    BudgetPeriod,
    BudgetStatus,
    CostRecord,
    ModelRecommendation,
    PerformanceProfile,
    Recommendation,
    ROIAnalysis,
)
from .paths import default_db_path
from .pricing import PriceBook
from .store import Ledger
from .tracker import CostTracker
from .windows import utcnow

if TYPE_CHECKING:
    from .analytics import AnalyticsEngine, Dashboard
    from .selector import IntelligentModelSelector


class ModelConfigManager:
    """Select models, track usage, enforce budgets and report, over one SQLite ledger."""

    def __init__(
        self,
        db_path: str | os.PathLike[str] | None = None,
        config_dir: str | os.PathLike[str] | None = None,
        *,
        settings: Settings | None = None,
    ) -> None:
        self.settings = settings or load_settings(config_dir)
        self.config_dir = config_dir
        self.price_book = PriceBook(
            overrides=self.settings.price_overrides(), tier_models=dict(self.settings.mapping.tiers)
        )
        self.ledger = Ledger(str(db_path) if db_path else str(default_db_path()))
        self.cost_tracker = CostTracker(settings=self.settings, ledger=self.ledger, price_book=self.price_book)
        self.budget_manager = BudgetManager(self.cost_tracker, settings=self.settings)

    # The selector and analytics load on first use: a Claude Code hook opens a manager on every turn
    # and needs neither, and their modules cost start-up time.
    @cached_property
    def selector(self) -> IntelligentModelSelector:
        from .selector import IntelligentModelSelector

        return IntelligentModelSelector(self.settings, self.price_book)

    @cached_property
    def analytics(self) -> AnalyticsEngine:
        from .analytics import AnalyticsEngine

        return AnalyticsEngine(self.cost_tracker, settings=self.settings)

    @property
    def db_path(self) -> str:
        return self.ledger.path

    def close(self) -> None:
        self.ledger.close()

    def __enter__(self) -> ModelConfigManager:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- selection and tracking ------------------------------------------------------------

    def select_model(
        self,
        agent_type: str,
        task_description: str | None = None,
        performance_profile: PerformanceProfile | str | None = None,
        estimated_tokens: int = 10_000,
        *,
        project_id: str | None = None,
    ) -> ModelRecommendation:
        """Recommend a model; budgets with auto_downgrade shape the choice (CRITICAL/EXCEEDED)."""
        pressure = self.budget_manager.downgrade_pressure(
            agent_type=agent_type if isinstance(agent_type, str) else None, project_id=project_id
        )
        level = pressure.alert_level if pressure else AlertLevel.OK
        return self.selector.select_model(
            agent_type,
            task_description=task_description,
            budget_remaining=pressure.remaining_budget if pressure else None,
            performance_profile=performance_profile,
            estimated_tokens=estimated_tokens,
            budget_alert_level=level,
            budget_period=pressure.period if pressure else None,
        )

    def track_usage(
        self,
        agent_type: str,
        model_type: str,
        input_tokens: int,
        output_tokens: int,
        project_id: str | None = None,
        session_id: str | None = None,
        task_description: str | None = None,
        **extra: Any,
    ) -> CostRecord:
        """Record usage (see CostTracker.track_usage for cache, request_id, timestamp, batch, fast_mode).

        The returned record lists the budget alerts it triggered for the first time.
        """
        record = self.cost_tracker.track_usage(
            agent_type, model_type, input_tokens, output_tokens, project_id, session_id, task_description, **extra
        )
        if record.duplicate:
            return record
        alerts = self.budget_manager.check_after_record(record.agent_type, record.project_id)
        return record.model_copy(update={"new_alerts": alerts}) if alerts else record

    # -- budgets ---------------------------------------------------------------------------

    def check_budget(
        self, period: BudgetPeriod | str = BudgetPeriod.DAILY, *, scope: str | None = "global"
    ) -> BudgetStatus:
        return self.budget_manager.check_budget(period, scope=scope)

    def get_budget_report(self) -> BudgetReport:
        return self.budget_manager.get_budget_report()

    def should_downgrade_model(self, period: BudgetPeriod | str = BudgetPeriod.DAILY) -> bool:
        return self.budget_manager.should_downgrade_model(period)

    # -- analytics -------------------------------------------------------------------------

    def get_dashboard(self, days: int = 7) -> Dashboard:
        return self.analytics.generate_dashboard_data(days)

    def get_agent_efficiency(self, agent_type: str, days: int = 30) -> AgentEfficiency:
        return self.analytics.analyze_agent_efficiency(agent_type, days)

    def calculate_roi(self, time_period_days: int = 30, hourly_rate: float | None = None) -> ROIAnalysis:
        return self.analytics.calculate_roi(None, time_period_days, hourly_rate)

    def get_optimization_recommendations(self, days: int = 7) -> list[Recommendation]:
        from .recommendations import optimization_recommendations

        return optimization_recommendations(self.analytics, self.budget_manager, self.selector, days)

    # -- exports ---------------------------------------------------------------------------

    def analytics_report(self, days: int = 30) -> dict[str, Any]:
        dashboard = self.get_dashboard(days)
        return {
            "generated_at": utcnow().isoformat(),
            "days": days,
            "database": self.db_path,
            "dashboard": dashboard.model_dump(mode="json"),
            "budget_report": self.get_budget_report().model_dump(mode="json"),
            "agent_efficiency": [
                self.get_agent_efficiency(a.agent_type, days).model_dump(mode="json") for a in dashboard.top_agents
            ],
            "roi": self.calculate_roi(days).model_dump(mode="json"),
            "recommendations": [
                r.model_dump(mode="json") for r in self.get_optimization_recommendations(min(days, 30))
            ],
        }

    def export_analytics(self, output_file: str | os.PathLike[str], days: int = 30) -> Path:
        """Write the analytics report as JSON (atomically). Returns the path written."""
        path = export_target(output_file)  # checked before the report is computed
        report = self.analytics_report(days)
        with atomic_file(path) as handle:
            handle.write(json.dumps(report, indent=2) + "\n")
        return path

    def export_cost_history(self, output_file: str | os.PathLike[str], days: int | None = None, **kwargs: Any) -> int:
        """Write every record (of the last `days` days, or all) as CSV. Returns the number of rows."""
        return self.cost_tracker.export_to_csv(output_file, days, **kwargs)
