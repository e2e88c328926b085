"""Configuration: the two JSON files the original system used, layered over built-in defaults.

Files (each optional):
- `cost-optimization.json`: budget limits per period, alert thresholds, `auto_downgrade`,
  `timezone`, `week_start`, scoped budgets, price overrides, ROI assumptions, estimation split.
- `agent-model-mapping.json`: agent type -> tier or model id; tier -> model id.

Layers, later wins key by key: built-in defaults < user config dir
(`$XDG_CONFIG_HOME/model-config/`, `~/.config/model-config/`) < project
(`$CLAUDE_PROJECT_DIR/.claude/config/` or `./.claude/config/`). An explicit `config_dir` (or
`$MODEL_CONFIG_DIR`) replaces the search. `Settings.sources` says where each value came from.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError
from .models import BudgetPeriod, Tier
from .pricing import DEFAULT_ALIASES, PriceOverride

COST_FILE = "cost-optimization.json"
MAPPING_FILE = "agent-model-mapping.json"
DEFAULT_LIMITS = {"daily": 10.0, "weekly": 50.0, "monthly": 200.0}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Thresholds(_Strict):
    info: float = Field(0.50, gt=0, le=10)
    warning: float = Field(0.75, gt=0, le=10)
    critical: float = Field(0.90, gt=0, le=10)
    exceeded: float = Field(1.00, gt=0, le=10)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if not self.info <= self.warning <= self.critical <= self.exceeded:
            raise ValueError("thresholds must satisfy info <= warning <= critical <= exceeded")
        return self


class PeriodBudget(_Strict):
    limit: Decimal = Field(gt=0, description="USD per window")
    alert_thresholds: Thresholds = Field(default_factory=lambda: Thresholds())
    auto_downgrade: bool = True

    @field_validator("limit", mode="before")
    @classmethod
    def _finite(cls, value: Any) -> Any:
        if isinstance(value, bool) or (isinstance(value, float) and value != value):
            raise ValueError("limit must be a positive number of USD")
        return Decimal(str(value)) if isinstance(value, (int, float)) else value


class PriceOverrideConfig(_Strict):
    input: Decimal | None = Field(None, ge=0)
    output: Decimal | None = Field(None, ge=0)
    cache_write_5m: Decimal | None = Field(None, ge=0)
    cache_write_1h: Decimal | None = Field(None, ge=0)
    cache_read: Decimal | None = Field(None, ge=0)
    web_search_per_1k: Decimal | None = Field(None, ge=0)
    tier: Tier | None = None

    @model_validator(mode="after")
    def _six_places(self) -> PriceOverrideConfig:
        for key in ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read"):
            value = getattr(self, key)
            if value is not None and (value * 10**6) != (value * 10**6).to_integral_value():
                raise ValueError(f"{key}: prices are USD per million tokens with at most 6 decimal places")
        return self

    def to_override(self) -> PriceOverride:
        return PriceOverride(**self.model_dump())


class PricingConfig(_Strict):
    models: dict[str, PriceOverrideConfig] = Field(default_factory=dict)


class ROIConfig(_Strict):
    minutes_saved_per_operation: float = Field(6.0, ge=0, le=24 * 60)
    realization_rate: float = Field(0.5, ge=0, le=1)
    hourly_rate: float = Field(75.0, ge=0)


class EstimationConfig(_Strict):
    """How `select_model` splits `estimated_tokens` to estimate a cost."""

    output_share: float = Field(0.25, ge=0, le=1)
    cache_read_share_of_input: float = Field(0.0, ge=0, le=1)


class RetentionConfig(_Strict):
    detail_days: int | None = Field(None, ge=1, description="Delete per-request detail older than this; rollups stay")


class ClaudeCodeConfig(_Strict):
    auto_import: bool = False
    paths: list[str] = Field(default_factory=list)


class CostConfig(_Strict):
    budget_limits: dict[BudgetPeriod, PeriodBudget] = Field(
        default_factory=lambda: {
            BudgetPeriod(p): PeriodBudget(limit=Decimal(str(v))) for p, v in DEFAULT_LIMITS.items()
        }
    )
    scoped_budgets: dict[str, dict[BudgetPeriod, PeriodBudget]] = Field(default_factory=dict)
    timezone: str | None = None
    week_start: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = "monday"
    pricing: PricingConfig = Field(default_factory=lambda: PricingConfig())
    roi: ROIConfig = Field(default_factory=lambda: ROIConfig())
    estimation: EstimationConfig = Field(default_factory=lambda: EstimationConfig())
    retention: RetentionConfig = Field(default_factory=lambda: RetentionConfig())
    claude_code: ClaudeCodeConfig = Field(default_factory=lambda: ClaudeCodeConfig())

    @field_validator("budget_limits")
    @classmethod
    def _all_periods(cls, value: dict[BudgetPeriod, PeriodBudget]) -> dict[BudgetPeriod, PeriodBudget]:
        # A file that sets only the daily budget keeps the default weekly and monthly ones.
        for period, limit in DEFAULT_LIMITS.items():
            value.setdefault(BudgetPeriod(period), PeriodBudget(limit=Decimal(str(limit))))
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. 'Europe/Paris', 'UTC')") from None
        return value

    @field_validator("scoped_budgets")
    @classmethod
    def _scopes(cls, value: dict[str, Any]) -> dict[str, Any]:
        for scope in value:
            kind, _, name = scope.partition(":")
            if kind not in ("project", "agent") or not name:
                raise ValueError(f"scope {scope!r} must look like 'project:<id>' or 'agent:<type>'")
        return value


class MappingConfig(_Strict):
    tiers: dict[Tier, str] = Field(
        default_factory=lambda: {Tier(k): v for k, v in DEFAULT_ALIASES.items() if k != "fable"}
    )
    agents: dict[str, str] = Field(default_factory=dict)
    default_tier: Tier | None = None

    @field_validator("agents")
    @classmethod
    def _non_empty(cls, value: dict[str, str]) -> dict[str, str]:
        for agent, target in value.items():
            if not agent.strip() or not str(target).strip():
                raise ValueError("agent types and their targets must be non-empty strings")
        return value


class Settings(BaseModel):
    """The effective configuration and where each value came from."""

    cost: CostConfig
    mapping: MappingConfig
    files: list[str] = Field(default_factory=list)
    sources: dict[str, str] = Field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.cost.timezone or system_timezone())

    @property
    def timezone_name(self) -> str:
        return self.cost.timezone or system_timezone()

    def price_overrides(self) -> dict[str, PriceOverride]:
        return {model: cfg.to_override() for model, cfg in self.cost.pricing.models.items()}


def system_timezone() -> str:
    """The machine's IANA zone name (`TZ`, /etc/localtime), or UTC when it cannot be told."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz:
        try:
            ZoneInfo(tz)
            return tz
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        from tzlocal import get_localzone_name

        name = get_localzone_name()
        if name:
            ZoneInfo(name)
            return name
    except Exception:  # tzlocal raises several kinds of error on odd systems; UTC is the honest fallback
        pass
    return "UTC"


def project_dir() -> Path:
    return Path(os.environ.get("CLAUDE_PROJECT_DIR") or os.getcwd())


def user_config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "model-config"


def search_dirs(config_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Directories searched for the config files, lowest precedence first."""
    explicit = config_dir or os.environ.get("MODEL_CONFIG_DIR")
    if explicit:
        if not Path(explicit).is_dir():
            origin = "config_dir" if config_dir else "MODEL_CONFIG_DIR"
            raise ConfigError(str(explicit), "", f"configuration directory ({origin}) does not exist")
        return [Path(explicit)]
    return [user_config_dir(), project_dir() / ".claude" / "config"]


def load_settings(config_dir: str | os.PathLike[str] | None = None) -> Settings:
    cost_raw: dict[str, Any] = {}
    mapping_raw: dict[str, Any] = {}
    cost_src: dict[str, str] = {}
    mapping_src: dict[str, str] = {}
    files: list[str] = []
    cost_files: list[Path] = []
    mapping_files: list[Path] = []
    for directory in search_dirs(config_dir):
        for name, raw, src, seen in (
            (COST_FILE, cost_raw, cost_src, cost_files),
            (MAPPING_FILE, mapping_raw, mapping_src, mapping_files),
        ):
            path = directory / name
            if path.is_file():
                data = read_json_object(path)
                _deep_merge(raw, data, src, str(path), "")
                files.append(str(path))
                seen.append(path)
    cost = _validate(CostConfig, cost_raw, cost_files)
    mapping = _validate(MappingConfig, mapping_raw, mapping_files)
    sources = _sources(cost, cost_src, "cost") | _sources(mapping, mapping_src, "mapping")
    return Settings(cost=cost, mapping=mapping, files=files, sources=sources)


def read_json_object(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), "", f"cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), "", "is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(str(path), "", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ConfigError(str(path), "", f"must hold a JSON object, found {type(data).__name__}")
    return {k: v for k, v in data.items() if not (k.startswith("_") or k.startswith("$"))}


def validate_file(path: Path) -> list[str]:
    """Every problem in one config file, as 'key: problem' lines (empty when valid)."""
    kind = CostConfig if path.name == COST_FILE else MappingConfig if path.name == MAPPING_FILE else None
    try:
        data = read_json_object(path)
    except ConfigError as exc:
        return [exc.problem]
    if kind is None:
        kind = MappingConfig if "agents" in data or "tiers" in data else CostConfig
    try:
        kind.model_validate(data)
    except ValidationError as exc:
        return [f"{_loc(err['loc'])}: {err['msg']}" for err in exc.errors()]
    return []


def _validate(kind: type[Any], raw: dict[str, Any], paths: list[Path]) -> Any:
    try:
        return kind.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = _loc(err["loc"])
        # Name the file the bad key came from: the last file that set it (or any of them).
        path = paths[-1] if paths else Path("<defaults>")
        for candidate in reversed(paths):
            try:
                if _has_key(read_json_object(candidate), tuple(p for p in err["loc"] if p != "[key]")):
                    path = candidate
                    break
            except ConfigError:
                continue
        value = f" (got {_shown(err['input'])})" if "input" in err and not isinstance(err["input"], dict) else ""
        raise ConfigError(str(path), key, f"{err['msg']}{value}") from None


def _shown(value: Any) -> str:
    try:
        return json.dumps(value)
    except TypeError:
        return str(value)


def _has_key(data: Any, loc: tuple[Any, ...]) -> bool:
    for part in loc:
        if isinstance(data, dict) and str(part) in data:
            data = data[str(part)]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return False
    return True


def _loc(loc: tuple[Any, ...]) -> str:
    # pydantic marks a bad dict key with a trailing '[key]' element; the key itself names the place.
    return ".".join(str(p) for p in loc if p != "[key]") or "<root>"


def _deep_merge(into: dict[str, Any], new: dict[str, Any], src: dict[str, str], origin: str, prefix: str) -> None:
    for key, value in new.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value, src, origin, dotted + ".")
        else:
            into[key] = json.loads(json.dumps(value))
            _mark(value, src, origin, dotted)


def _mark(value: Any, src: dict[str, str], origin: str, dotted: str) -> None:
    if isinstance(value, dict):
        for key, sub in value.items():
            _mark(sub, src, origin, f"{dotted}.{key}")
    else:
        src[dotted] = origin


def _sources(model: BaseModel, src: dict[str, str], label: str) -> dict[str, str]:
    out: dict[str, str] = {}
    flat: dict[str, Any] = {}
    _flatten(model.model_dump(mode="json"), "", flat)
    for key in flat:
        origin = src.get(key)
        if origin is None:  # a value inside a section set as a whole, e.g. thresholds defaulted
            parts = key.split(".")
            origin = next(
                (src[".".join(parts[:i])] for i in range(len(parts) - 1, 0, -1) if ".".join(parts[:i]) in src), None
            )
        out[f"{label}.{key}"] = origin or "default"
    return out


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and value:
        for key, sub in value.items():
            _flatten(sub, f"{prefix}{key}.", out)
    else:
        out[prefix.rstrip(".")] = value
