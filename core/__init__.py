"""model-config core: cost-aware model selection, a usage ledger, budgets and analytics for Claude agents.

Synchronous and free of MCP: the server, resources and CLI are thin adapters over this package.
"""

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
