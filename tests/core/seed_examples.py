# The Python examples of the original system's documentation, with only the import changed
# (`model_config` / `model_config.core` -> `core`). tests/core/test_seed_examples.py runs this file.
from core import ModelConfigManager, PerformanceProfile

# Initialize manager
manager = ModelConfigManager()

# 1. Select optimal model for task
recommendation = manager.select_model(
    agent_type="software-architect",
    task_description="Design microservices architecture for e-commerce platform",
    performance_profile=PerformanceProfile.QUALITY,
    estimated_tokens=50000
)

print(f"Selected model: {recommendation.model.value}")
print(f"Estimated cost: ${recommendation.estimated_cost:.4f}")
print(f"Confidence: {recommendation.confidence:.0%}")
print(f"Reasoning: {', '.join(recommendation.reasoning)}")

# 2. Track actual usage
record = manager.track_usage(
    agent_type="software-architect",
    model_type=recommendation.model.value,
    input_tokens=45000,
    output_tokens=13000,
    project_id="ecommerce-redesign",
    task_description="Architecture design completed"
)

print(f"Actual cost: ${record.total_cost:.4f}")

# 3. Check budget status
status = manager.check_budget()
print(f"Budget: ${status.current_spending:.2f} / ${status.budget_limit:.2f}")
print(f"Remaining: ${status.remaining_budget:.2f} ({100-status.percentage_used:.1f}%)")
print(f"Alert level: {status.alert_level}")

# 4. Get analytics dashboard
dashboard = manager.get_dashboard(days=7)
print(f"Total cost (7 days): ${dashboard['summary']['total_cost']:.2f}")
print(f"Total operations: {dashboard['summary']['total_operations']}")
print(f"Avg cost/operation: ${dashboard['summary']['average_cost_per_operation']:.4f}")

# 5. Get optimization recommendations
recommendations = manager.get_optimization_recommendations(days=7)
for i, rec in enumerate(recommendations, 1):
    print(f"{i}. {rec}")

from core import IntelligentModelSelector, PerformanceProfile, ModelType

selector = IntelligentModelSelector()

# Quality-focused selection
rec = selector.select_model(
    agent_type="software-architect",
    task_description="Design distributed system architecture with security focus",
    budget_remaining=5.0,
    performance_profile=PerformanceProfile.QUALITY,
    estimated_tokens=60000
)
print(rec.model.value, rec.confidence, rec.reasoning)

from core import CostTracker, CostDimension

tracker = CostTracker()

# Track usage
record = tracker.track_usage(
    agent_type="backend-engineer",
    model_type="claude-sonnet-4-5",
    input_tokens=30000,
    output_tokens=10000,
    project_id="api-redesign",
    session_id="session-2025-10-05-1430",
    task_description="Implement authentication endpoints"
)

# Get cost summaries
agent_summaries = tracker.get_summary(CostDimension.AGENT)
for summary in agent_summaries:
    print(f"{summary.dimension_value}: ${summary.total_cost:.2f} ({summary.record_count} ops)")

# Get daily costs
daily_costs = tracker.get_daily_costs(days=7)
for date, cost in daily_costs.items():
    print(f"{date}: ${cost:.2f}")

# Get model distribution
model_dist = tracker.get_model_distribution()
for model, stats in model_dist.items():
    print(f"{model}:")
    print(f"  Cost: ${stats['total_cost']:.2f} ({stats['percentage_cost']:.1f}%)")
    print(f"  Operations: {stats['operations']} ({stats['percentage_operations']:.1f}%)")

# Export to CSV
tracker.export_to_csv("cost_history.csv", days=30)

from core import BudgetManager, BudgetPeriod

manager = BudgetManager(cost_tracker=tracker)

# Check daily budget
status = manager.check_budget(BudgetPeriod.DAILY)
print(f"Budget: ${status.budget_limit:.2f}")
print(f"Spent: ${status.current_spending:.2f} ({status.percentage_used:.1f}%)")
print(f"Remaining: ${status.remaining_budget:.2f}")
print(f"Alert: {status.alert_level}")

if status.forecasted_spending:
    print(f"Forecasted total: ${status.forecasted_spending:.2f}")

# Check if auto-downgrade should be triggered
should_downgrade = manager.should_downgrade_model(BudgetPeriod.DAILY)
if should_downgrade:
    print("⚠️ Auto-downgrade recommended: switch to cheaper models")

# Get comprehensive budget report
report = manager.get_budget_report()
for period, data in report['periods'].items():
    print(f"\n{period.upper()}:")
    print(f"  ${data['current_spending']:.2f} / ${data['budget_limit']:.2f}")
    print(f"  Alert: {data['alert_level']}")

from core import AnalyticsEngine

engine = AnalyticsEngine(cost_tracker=tracker)

# Generate dashboard
dashboard = engine.generate_dashboard_data(days=7)

print("\n=== SUMMARY ===")
summary = dashboard['summary']
print(f"Total cost: ${summary['total_cost']:.2f}")
print(f"Operations: {summary['total_operations']}")
print(f"Tokens: {summary['total_tokens']:,}")
print(f"Avg cost/op: ${summary['average_cost_per_operation']:.4f}")

print("\n=== TOP AGENTS ===")
for agent in dashboard['top_agents'][:5]:
    print(f"{agent['agent_type']}: ${agent['cost']:.2f} ({agent['percentage']:.1f}%)")

print("\n=== MODEL DISTRIBUTION ===")
for model, stats in dashboard['model_distribution'].items():
    print(f"{model}: {stats['percentage_cost']:.1f}% cost, {stats['operations']} ops")

# Analyze agent efficiency
efficiency = engine.analyze_agent_efficiency("software-architect", days=30)
print(f"\n=== AGENT EFFICIENCY: {efficiency.agent_type} ===")
print(f"Efficiency score: {efficiency.efficiency_score:.1f}/100")
print(f"Total operations: {efficiency.total_operations}")
print(f"Total cost: ${efficiency.total_cost:.2f}")
print(f"Avg cost/op: ${efficiency.average_cost_per_operation:.4f}")
print(f"Preferred model: {efficiency.preferred_model}")

if efficiency.optimization_opportunities:
    print("\nOptimization opportunities:")
    for opp in efficiency.optimization_opportunities:
        print(f"  • {opp}")

# Calculate ROI
roi = engine.calculate_roi(
    total_cost=150.0,
    time_period_days=30,
    hourly_rate=75.0
)
print("\n=== ROI ANALYSIS ===")
print(f"Total cost: ${roi.total_cost:.2f}")
print(f"Time saved: {roi.estimated_time_saved_hours:.0f} hours")
print(f"Labor cost saved: ${roi.estimated_labor_cost_saved:.2f}")
print(f"ROI: {roi.roi_percentage:.1f}%")
print(f"Break-even: {roi.breakeven_point}")

for rec in roi.recommendations:
    print(f"  💡 {rec}")

from core import ModelConfigManager
manager = ModelConfigManager()
status = manager.check_budget()
if status.alert_level == "exceeded":
    print("EXCEEDED")
recommendations = manager.get_optimization_recommendations(days=1)
for rec in recommendations:
    print(f"💡 {rec}")
print(manager.calculate_roi(30, 75.0))
manager.export_analytics("analytics_report.json")
manager.export_cost_history("cost_history.csv")
print(manager.get_agent_efficiency("software-architect"))
