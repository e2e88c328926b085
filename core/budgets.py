"""BudgetManager: calendar-window budgets, alert levels recorded once, forecasts, auto-downgrade."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field

from .config import PeriodBudget, Settings
from .errors import InvalidUsage
from .models import AlertLevel, BudgetAlert, BudgetPeriod, BudgetStatus, _Frozen
from .money import Money, pico_to_usd, usd_to_pico
from .tracker import CostTracker
from .windows import Window, from_us, to_us, utcnow, window_for

HISTORY_WINDOWS = 3
# Below this share of a window, with no earlier window to learn from, a forecast would be a guess.
MIN_ELAPSED_SHARE = 0.10


class BudgetReport(_Frozen):
    generated_at: datetime
    timezone: str
    periods: dict[str, BudgetStatus]
    scoped: list[BudgetStatus] = Field(default_factory=list)
    worst_alert_level: AlertLevel
    should_downgrade: bool
    recent_alerts: list[BudgetAlert] = Field(default_factory=list)
    unpriced_records: int = 0
    total_spending_all_time: Money = Decimal(0)


def parse_period(period: BudgetPeriod | str) -> BudgetPeriod:
    try:
        return BudgetPeriod(period)
    except ValueError:
        raise InvalidUsage(f"unknown budget period {period!r}; use daily, weekly or monthly") from None


def parse_scope(scope: str | None) -> str:
    if scope in (None, "", "global", "*"):
        return "global"
    kind, _, name = scope.partition(":")
    if kind not in ("project", "agent") or not name:
        raise InvalidUsage(f"unknown budget scope {scope!r}; use 'global', 'project:<id>' or 'agent:<type>'")
    return scope


class BudgetManager:
    def __init__(
        self,
        cost_tracker: CostTracker | None = None,
        *,
        settings: Settings | None = None,
        config_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.tracker = cost_tracker or CostTracker(settings=settings, config_dir=config_dir)
        self.settings = settings or self.tracker.settings
        # Alert levels seen recorded, per (scope, period, window start). Alerts are never deleted, so a
        # level seen once stays known: a window whose crossed levels are all known needs no query.
        self._known_alerts: dict[tuple[str, str, int], set[str]] = {}

    @property
    def ledger(self) -> Any:
        return self.tracker.ledger

    def budget_for(self, period: BudgetPeriod, scope: str = "global") -> PeriodBudget | None:
        if scope == "global":
            return self.settings.cost.budget_limits[period]
        return self.settings.cost.scoped_budgets.get(scope, {}).get(period)

    def scopes(self) -> list[str]:
        return ["global", *sorted(self.settings.cost.scoped_budgets)]

    def window(self, period: BudgetPeriod, now: datetime | None = None) -> Window:
        return window_for(period, now or utcnow(), self.settings.zone, self.settings.cost.week_start)

    def check_budget(
        self,
        period: BudgetPeriod | str = BudgetPeriod.DAILY,
        *,
        scope: str | None = "global",
        now: datetime | None = None,
        forecast: bool = True,
        record_alerts: bool = True,
    ) -> BudgetStatus:
        """Spending against the budget for the current window of `period` (and scope)."""
        period = parse_period(period)
        scope = parse_scope(scope)
        budget = self.budget_for(period, scope)
        if budget is None:
            raise InvalidUsage(f"no {period.value} budget is configured for scope {scope!r}")
        now = now or utcnow()
        timezone = self.settings.timezone_name  # the zone's name once: it is looked up from the environment
        win = window_for(period, now, ZoneInfo(timezone), self.settings.cost.week_start)
        ledger_scope = "*" if scope == "global" else scope
        totals = self.ledger.totals(ledger_scope, win.start_us, win.end_us)
        limit_pico = usd_to_pico(budget.limit)
        spent_pico = totals.cost_pico
        share = spent_pico / limit_pico
        level = alert_level(spent_pico, limit_pico, budget)
        new_alerts: list[BudgetAlert] = []
        if record_alerts and level is not AlertLevel.OK:
            new_alerts = self._record_alerts(scope, period, win, level, spent_pico, limit_pico, budget)
        forecast_pico, method = self._forecast(ledger_scope, win, now, spent_pico) if forecast else (None, None)
        return BudgetStatus(
            period=period,
            scope=scope,
            window_start=win.start,
            window_end=win.end,
            timezone=timezone,
            budget_limit=budget.limit,
            current_spending=pico_to_usd(spent_pico),
            remaining_budget=pico_to_usd(limit_pico - spent_pico),
            percentage_used=round(100.0 * share, 4),
            alert_level=level,
            auto_downgrade=budget.auto_downgrade,
            forecasted_spending=None if forecast_pico is None else pico_to_usd(forecast_pico),
            forecast_method=method,
            unpriced_records=totals.unpriced_ops,
            new_alerts=new_alerts,
        )

    def check_all(
        self, *, now: datetime | None = None, forecast: bool = True, scopes: list[str] | None = None
    ) -> list[BudgetStatus]:
        """Every configured budget: the global periods first, then scoped budgets."""
        out = []
        for scope in scopes or self.scopes():
            for period in BudgetPeriod:
                if self.budget_for(period, scope) is not None:
                    out.append(self.check_budget(period, scope=scope, now=now, forecast=forecast))
        return out

    def check_after_record(
        self, agent_type: str, project_id: str | None, *, now: datetime | None = None
    ) -> list[BudgetAlert]:
        """Alerts newly crossed by a record: global budgets and the scopes the record belongs to."""
        scopes = ["global", f"agent:{agent_type}"] + ([f"project:{project_id}"] if project_id else [])
        scopes = [s for s in scopes if s == "global" or s in self.settings.cost.scoped_budgets]
        # check_all(forecast=False) keeping only the new alerts, which runs after every tracked record:
        # every window's spending in one read, and no read at all for a window whose every alert level
        # is already recorded (nothing new can be announced there).
        now = now or utcnow()
        zone = ZoneInfo(self.settings.timezone_name)
        pending: list[tuple[str, BudgetPeriod, PeriodBudget, Window]] = []
        for scope in scopes:
            for period in BudgetPeriod:
                budget = self.budget_for(period, scope)
                if budget is None:
                    continue
                win = window_for(period, now, zone, self.settings.cost.week_start)
                if len(self._known_alerts.get((scope, period.value, win.start_us), ())) == _ALERT_LEVELS:
                    continue
                pending.append((scope, period, budget, win))
        if not pending:
            return []
        spent = self.ledger._totals_many(
            [("*" if s == "global" else s, w.start_us, w.end_us) for s, _, _, w in pending]
        )
        alerts: list[BudgetAlert] = []
        for (scope, period, budget, win), totals in zip(pending, spent, strict=True):
            limit_pico = usd_to_pico(budget.limit)
            level = alert_level(totals.cost_pico, limit_pico, budget)
            if level is not AlertLevel.OK:
                alerts.extend(self._record_alerts(scope, period, win, level, totals.cost_pico, limit_pico, budget))
        return alerts

    def should_downgrade_model(self, period: BudgetPeriod | str = BudgetPeriod.DAILY) -> bool:
        """True when `auto_downgrade` is on for the period and its alert level is CRITICAL or worse."""
        status = self.check_budget(period, forecast=False)
        return status.auto_downgrade and status.alert_level.rank >= AlertLevel.CRITICAL.rank

    def downgrade_pressure(
        self, *, agent_type: str | None = None, project_id: str | None = None
    ) -> BudgetStatus | None:
        """The most severe budget (with auto_downgrade on) that applies to a call, or None if all are fine."""
        scopes = ["global"]
        if agent_type and f"agent:{agent_type}" in self.settings.cost.scoped_budgets:
            scopes.append(f"agent:{agent_type}")
        if project_id and f"project:{project_id}" in self.settings.cost.scoped_budgets:
            scopes.append(f"project:{project_id}")
        worst: BudgetStatus | None = None
        for status in self.check_all(forecast=False, scopes=scopes):
            if not status.auto_downgrade:
                continue
            if worst is None or (status.alert_level.rank, -status.remaining_budget) > (
                worst.alert_level.rank,
                -worst.remaining_budget,
            ):
                worst = status
        return worst

    def get_budget_report(self, *, now: datetime | None = None) -> BudgetReport:
        now = now or utcnow()
        statuses = self.check_all(now=now)
        periods = {s.period.value: s for s in statuses if s.scope == "global"}
        scoped = [s for s in statuses if s.scope != "global"]
        worst = max((s.alert_level for s in statuses), key=lambda lv: lv.rank, default=AlertLevel.OK)
        downgrade = any(s.auto_downgrade and s.alert_level.rank >= AlertLevel.CRITICAL.rank for s in statuses)
        recent = [_alert_from_row(r) for r in self.ledger.alerts(since_us=to_us(now - timedelta(days=31)), limit=20)]
        everything = self.ledger.totals("*")
        return BudgetReport(
            generated_at=now,
            timezone=self.settings.timezone_name,
            periods=periods,
            scoped=scoped,
            worst_alert_level=worst,
            should_downgrade=downgrade,
            recent_alerts=recent,
            unpriced_records=everything.unpriced_ops,
            total_spending_all_time=pico_to_usd(everything.cost_pico),
        )

    # -- internals -------------------------------------------------------------------------

    def _record_alerts(
        self,
        scope: str,
        period: BudgetPeriod,
        win: Window,
        level: AlertLevel,
        spent_pico: int,
        limit_pico: int,
        budget: PeriodBudget,
    ) -> list[BudgetAlert]:
        crossed = _CROSSED[level]
        key = (scope, period.value, win.start_us)
        known = self._known_alerts.get(key)
        if known is None or any(lv.value not in known for lv in crossed):
            known = self.ledger.known_alert_levels(scope, period.value, win.start_us)
            if len(self._known_alerts) >= 1024:
                self._known_alerts.clear()
            self._known_alerts[key] = known
        out = []
        for lv in crossed:
            if lv.value in known:
                continue
            new, created_us = self.ledger.record_alert(
                scope, period.value, win.start_us, lv.value, spent_pico, limit_pico
            )
            known.add(lv.value)
            if new:
                out.append(
                    BudgetAlert(
                        scope=scope,
                        period=period,
                        window_start=win.start,
                        level=lv,
                        spending=pico_to_usd(spent_pico),
                        budget_limit=budget.limit,
                        created_at=from_us(created_us),
                        new=True,
                    )
                )
        return out

    def _forecast(self, scope: str, win: Window, now: datetime, spent_pico: int) -> tuple[int | None, str | None]:
        """End-of-window spend: the current run rate, blended with earlier windows when there are some."""
        length_us = win.end_us - win.start_us
        now_us = min(max(to_us(now), win.start_us), win.end_us)
        elapsed_us = now_us - win.start_us
        remaining_us = win.end_us - now_us
        history = self._history(scope, win)
        share = elapsed_us / length_us
        if remaining_us == 0:
            return spent_pico, "window complete: actual spending"
        if not history:
            if share < MIN_ELAPSED_SHARE or spent_pico == 0:
                return None, f"insufficient data: {share:.0%} of the window elapsed and no earlier window to compare"
            rate = spent_pico / elapsed_us
            return spent_pico + round(rate * remaining_us), f"current run rate over {share:.0%} of the window"
        hist_rate = sum(history) / len(history) / length_us
        cur_rate = spent_pico / elapsed_us if elapsed_us else 0.0
        rate = share * cur_rate + (1 - share) * hist_rate
        method = (
            f"blended run rate: {share:.0%} current window, {1 - share:.0%} average of "
            f"{len(history)} previous {win.period.value} window(s)"
        )
        return spent_pico + round(rate * remaining_us), method

    def _history(self, scope: str, win: Window) -> list[int]:
        first = self.ledger.first_bucket(scope)
        if first is None:
            return []
        out = []
        prev = win
        for _ in range(HISTORY_WINDOWS):
            prev = prev.previous(self.settings.zone, self.settings.cost.week_start)
            if prev.start_us < first and prev.end_us <= first:
                break
            if prev.start_us < first:
                break  # the ledger starts inside this window: a partial window would understate history
            out.append(self.ledger.totals(scope, prev.start_us, prev.end_us).cost_pico)
        return out


def alert_level(spent_pico: int, limit_pico: int, budget: PeriodBudget) -> AlertLevel:
    """The highest level whose threshold the spending has reached, compared exactly (no float edge)."""
    t = budget.alert_thresholds
    for level, threshold in (
        (AlertLevel.EXCEEDED, t.exceeded),
        (AlertLevel.CRITICAL, t.critical),
        (AlertLevel.WARNING, t.warning),
        (AlertLevel.INFO, t.info),
    ):
        # spent >= Decimal(str(threshold)) * limit, in integers: threshold = numerator / denominator.
        numerator, denominator = _ratio(threshold)
        if spent_pico * denominator >= numerator * limit_pico:
            return level
    return AlertLevel.OK


@lru_cache(maxsize=256)
def _ratio(threshold: float) -> tuple[int, int]:
    """The threshold as written (its shortest decimal text), as an exact integer ratio."""
    return Decimal(str(threshold)).as_integer_ratio()


# Levels recorded when spending reaches a level: every level up to it (OK records nothing).
_CROSSED = {
    level: [lv for lv in AlertLevel if lv is not AlertLevel.OK and lv.rank <= level.rank] for level in AlertLevel
}
_ALERT_LEVELS = len(_CROSSED[AlertLevel.EXCEEDED])


def _alert_from_row(row: dict[str, Any]) -> BudgetAlert:
    return BudgetAlert(
        scope=row["scope"],
        period=BudgetPeriod(row["period"]),
        window_start=from_us(row["window_start_us"]),
        level=AlertLevel(row["level"]),
        spending=pico_to_usd(row["spending_pico"]),
        budget_limit=pico_to_usd(row["limit_pico"]),
        created_at=from_us(row["created_us"]),
        new=False,
    )
