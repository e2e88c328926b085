"""Validation of one usage report at the boundary: a clear error and no write on bad input."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated, Any, NoReturn, NotRequired

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError, model_validator
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

from .errors import InvalidUsage

MAX_NAME = 200
MAX_ID = 512
MAX_DESCRIPTION = 10_000
MAX_TOKENS = 10**12
FUTURE_SLACK = timedelta(minutes=5)
_CACHE_FIELDS = frozenset(
    {"cache_creation_input_tokens", "cache_creation_1h_input_tokens", "cache_creation_5m_input_tokens"}
)


# Constraints run inside pydantic-core (the bulk path validates tens of thousands of records a second):
# strict ints reject floats, NaN, booleans and numeric strings; text is stripped, bounded and free of
# control characters.
_NO_CONTROL = r"^[^\x00-\x08\x0b-\x1f\x7f]*$"
Count = Annotated[int, Field(strict=True, ge=0, le=MAX_TOKENS)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME, pattern=_NO_CONTROL)]
OptionalId = Annotated[
    str | None, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ID, pattern=_NO_CONTROL)
]
Description = Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=MAX_DESCRIPTION)]


class UsageInput(BaseModel):
    """One model call as reported by a caller (Anthropic token convention)."""

    # Built on first use: a hook process imports this module without validating a usage.
    model_config = ConfigDict(extra="forbid", defer_build=True)

    agent_type: Name
    model_type: Name
    input_tokens: Count
    output_tokens: Count
    project_id: OptionalId = None
    session_id: OptionalId = None
    task_description: Description = None
    cache_creation_input_tokens: Count | None = None
    cache_creation_5m_input_tokens: Count | None = None
    cache_creation_1h_input_tokens: Count | None = None
    cache_read_input_tokens: Count = 0
    web_search_requests: Count = 0
    request_id: OptionalId = None
    timestamp: datetime | None = None
    batch: bool = False
    fast_mode: bool = False

    @model_validator(mode="after")
    def _cache_split(self) -> UsageInput:
        # Plain assignments through __dict__ and the fields-set, as pydantic's own __setattr__ does
        # without validate_assignment, at a third of its cost.
        self.__pydantic_fields_set__.update(normalize(self.__dict__))
        return self


_CACHE_AND_TASK = _CACHE_FIELDS | {"task_description"}
_CACHE_AND_TIME = _CACHE_FIELDS | {"timestamp"}
_CACHE_TASK_TIME = _CACHE_AND_TASK | {"timestamp"}


def normalize(values: dict[str, Any]) -> frozenset[str]:
    """The rules across fields, applied in place to one usage's validated values (every field present):
    the cache-write split made whole, an empty task description made None, the timestamp made UTC and
    checked. Returns the fields it set; raises ValueError. UsageInput's validator and the bulk path
    (`validate_many`, which validates plain dicts) both run it."""
    total, five, hour = (
        values["cache_creation_input_tokens"],
        values["cache_creation_5m_input_tokens"],
        values["cache_creation_1h_input_tokens"],
    )
    if total is None:
        total = (five or 0) + (hour or 0)
    elif five is not None and hour is not None and five + hour != total:
        raise ValueError(
            f"cache_creation_5m_input_tokens ({five}) + cache_creation_1h_input_tokens ({hour}) "
            f"must equal cache_creation_input_tokens ({total})"
        )
    if hour is None:
        hour = total - five if five is not None else 0
    if hour > total or hour < 0:
        raise ValueError(
            f"cache_creation_1h_input_tokens ({hour}) cannot exceed cache_creation_input_tokens ({total})"
        )
    values["cache_creation_input_tokens"] = total
    values["cache_creation_1h_input_tokens"] = hour
    values["cache_creation_5m_input_tokens"] = total - hour
    changed = _CACHE_FIELDS
    if values["task_description"] == "":
        values["task_description"] = None
        changed = _CACHE_AND_TASK
    ts = values["timestamp"]
    if ts is not None:
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=UTC)
        if ts.year < 2000:
            raise ValueError(f"timestamp {ts.isoformat()} is before the year 2000")
        if ts > _latest_allowed():
            raise ValueError(f"timestamp {ts.isoformat()} is in the future")
        values["timestamp"] = ts if ts.tzinfo is UTC else ts.astimezone(UTC)
        changed = _CACHE_TASK_TIME if changed is _CACHE_AND_TASK else _CACHE_AND_TIME
    return changed


_latest_deadline = 0.0  # time.monotonic() after which _latest_time is recomputed
_latest_time = datetime.min.replace(tzinfo=UTC)


def _latest_allowed() -> datetime:
    """Now plus FUTURE_SLACK (to within a second, never less), recomputed at most once a second: a
    bulk load checks it for every record."""
    global _latest_deadline, _latest_time
    now = time.monotonic()
    if now >= _latest_deadline:
        _latest_time = datetime.now(UTC) + FUTURE_SLACK + timedelta(seconds=1)
        _latest_deadline = now + 1.0
    return _latest_time


def validate_usage(data: dict[str, Any]) -> UsageInput:
    try:
        return UsageInput.model_validate(data)
    except ValidationError as exc:
        raise InvalidUsage(describe_validation_error(exc)) from None


def validate_many(items: list[Any], *, first: int = 0) -> list[dict[str, Any]]:
    """Validate a list of usage reports (the bulk path): each one's values (every field present), as a
    UsageInput holds them. A bad one raises InvalidUsage naming its position (`first` + its index) and
    its problems, in the words `validate_usage` uses.

    Dicts are validated in one call into pydantic-core against `UsageInput`'s fields as a TypedDict, then
    `normalize`d: the same rules as UsageInput, without making a model per record (on the benchmark's
    records the call took 1.7 us a record against 4.7 us with models; `normalize` adds about 1).
    UsageInput objects are taken as they are.
    """
    todo = [i for i, item in enumerate(items) if not isinstance(item, UsageInput)]
    raw = items if len(todo) == len(items) else [items[i] for i in todo]
    valid: list[dict[str, Any]] = []
    if raw:
        try:
            valid = _many_adapter().validate_python(raw)
        except ValidationError as exc:
            at = next((e["loc"][0] for e in exc.errors() if e["loc"] and isinstance(e["loc"][0], int)), None)
            if at is None:  # not a problem of one record: say what it is
                raise InvalidUsage(describe_validation_error(exc)) from None
            _explain(raw[at], first + todo[at], exc)
        defaults = _defaults()
        for n, values in enumerate(valid):
            full = defaults.copy()
            full.update(values)
            try:
                normalize(full)
            except ValueError as exc:
                _explain(raw[n], first + todo[n], exc)
            valid[n] = full
    if raw is items:
        return valid
    fresh = iter(valid)  # a UsageInput's values are only read from here on
    return [item.__dict__ if isinstance(item, UsageInput) else next(fresh) for item in items]


def _explain(item: Any, position: int, exc: Exception) -> NoReturn:
    """Raise InvalidUsage for the record at `position`, as validate_usage words its problems."""
    try:
        validate_usage(item)
    except InvalidUsage as bad:
        raise InvalidUsage(f"record {position}: {bad}") from None
    detail = describe_validation_error(exc) if isinstance(exc, ValidationError) else str(exc)
    raise InvalidUsage(f"record {position}: {detail}") from None


@cache
def _many_adapter() -> TypeAdapter[list[dict[str, Any]]]:
    """A list of UsageInput's fields as a TypedDict (same types, constraints, strictness; no model made)."""
    fields: dict[str, Any] = {}
    for name, info in UsageInput.model_fields.items():
        kind: Any = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        fields[name] = kind if info.is_required() else NotRequired[kind]
    record = TypedDict("UsageRecord", fields)  # type: ignore[misc]
    record.__pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[attr-defined]
    return TypeAdapter(list[record])  # type: ignore[arg-type]  # its items are dicts


@cache
def _defaults() -> dict[str, Any]:
    return {name: info.default for name, info in UsageInput.model_fields.items() if not info.is_required()}


def describe_validation_error(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors()[:5]:
        field = ".".join(str(p) for p in err["loc"]) or "usage"
        msg = err["msg"].removeprefix("Value error, ")
        problems.append(f"{field}: {msg}")
    more = len(exc.errors()) - 5
    suffix = f" (and {more} more)" if more > 0 else ""
    return "invalid usage, nothing recorded: " + "; ".join(problems) + suffix
