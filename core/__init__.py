"""model-config core: cost-aware model selection, a usage ledger, budgets and analytics for Claude agents.

Synchronous and free of MCP: the server, resources and CLI are thin adapters over this package.

The public names below are resolved on first use (PEP 562), so a process that needs one part of the
package (a Claude Code hook, the command line) does not pay for importing all of it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .analytics import AnalyticsEngine, Dashboard
    from .budgets import BudgetManager, BudgetReport
    from .complexity import analyze_complexity
    from .config import Settings, load_settings
    from .errors import (
        BudgetConfigError,
        ConfigError,
        ExportPathError,
        InvalidUsage,
        LedgerError,
        ModelConfigError,
        UnknownModel,
    )
    from .manager import ModelConfigManager
    from .models import (
        AgentEfficiency,
        AlertLevel,
        BudgetAlert,
        BudgetPeriod,
        BudgetStatus,
        CostDimension,
        CostRecord,
        CostSummary,
        ModelRecommendation,
        ModelType,
        PerformanceProfile,
        Recommendation,
        ROIAnalysis,
        Tier,
    )
    from .pricing import PriceBook
    from .selector import IntelligentModelSelector
    from .store import Ledger
    from .tracker import CostTracker

# Public name -> the submodule that defines it.
_EXPORTS = {
    "AnalyticsEngine": "analytics",
    "Dashboard": "analytics",
    "BudgetManager": "budgets",
    "BudgetReport": "budgets",
    "analyze_complexity": "complexity",
    "Settings": "config",
    "load_settings": "config",
    "BudgetConfigError": "errors",
    "ConfigError": "errors",
    "ExportPathError": "errors",
    "InvalidUsage": "errors",
    "LedgerError": "errors",
    "ModelConfigError": "errors",
    "UnknownModel": "errors",
    "ModelConfigManager": "manager",
    "AgentEfficiency": "models",
    "AlertLevel": "models",
    "BudgetAlert": "models",
    "BudgetPeriod": "models",
    "BudgetStatus": "models",
    "CostDimension": "models",
    "CostRecord": "models",
    "CostSummary": "models",
    "ModelRecommendation": "models",
    "ModelType": "models",
    "PerformanceProfile": "models",
    "Recommendation": "models",
    "ROIAnalysis": "models",
    "Tier": "models",
    "PriceBook": "pricing",
    "IntelligentModelSelector": "selector",
    "Ledger": "store",
    "CostTracker": "tracker",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "AgentEfficiency",
    "AlertLevel",
    "AnalyticsEngine",
    "BudgetAlert",
    "BudgetConfigError",
    "BudgetManager",
    "BudgetPeriod",
    "BudgetReport",
    "BudgetStatus",
    "ConfigError",
    "CostDimension",
    "CostRecord",
    "CostSummary",
    "CostTracker",
    "Dashboard",
    "ExportPathError",
    "IntelligentModelSelector",
    "InvalidUsage",
    "Ledger",
    "LedgerError",
    "ModelConfigError",
    "ModelConfigManager",
    "ModelRecommendation",
    "ModelType",
    "PerformanceProfile",
    "PriceBook",
    "ROIAnalysis",
    "Recommendation",
    "Settings",
    "Tier",
    "UnknownModel",
    "analyze_complexity",
    "load_settings",
]
