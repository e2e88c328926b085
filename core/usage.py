"""Validation of one usage report at the boundary: a clear error and no write on bad input."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError, model_validator

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

    model_config = ConfigDict(extra="forbid")

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
        total, five, hour = (
            self.cache_creation_input_tokens,
            self.cache_creation_5m_input_tokens,
            self.cache_creation_1h_input_tokens,
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
        # Plain assignments through __dict__ and the fields-set, as pydantic's own __setattr__ does
        # without validate_assignment, at a third of its cost (this runs for every bulk record).
        values = self.__dict__
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
        self.__pydantic_fields_set__.update(changed)
        return self


_CACHE_AND_TASK = _CACHE_FIELDS | {"task_description"}
_CACHE_AND_TIME = _CACHE_FIELDS | {"timestamp"}
_CACHE_TASK_TIME = _CACHE_AND_TASK | {"timestamp"}
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


def validate_many(items: list[Any], *, first: int = 0) -> list[UsageInput]:
    """Validate a list of usage reports in one call into pydantic-core (the bulk path); a bad one raises
    InvalidUsage naming its position (`first` + its index) and its problems. UsageInput objects are
    taken as they are."""
    todo = [i for i, item in enumerate(items) if not isinstance(item, UsageInput)]
    if not todo:
        return items
    raw = items if len(todo) == len(items) else [items[i] for i in todo]
    try:
        valid: list[UsageInput] = _many_adapter().validate_python(raw)
    except ValidationError as exc:
        at = next((e["loc"][0] for e in exc.errors() if e["loc"] and isinstance(e["loc"][0], int)), None)
        if at is None:  # not a problem of one record: say what it is
            raise InvalidUsage(describe_validation_error(exc)) from None
        try:
            validate_usage(raw[at])
        except InvalidUsage as bad:
            raise InvalidUsage(f"record {first + todo[at]}: {bad}") from None
        raise InvalidUsage(f"record {first + todo[at]}: {describe_validation_error(exc)}") from None
    if raw is items:
        return valid
    out = list(items)
    for i, usage in zip(todo, valid, strict=True):
        out[i] = usage
    return out


@cache
def _many_adapter() -> TypeAdapter[list[UsageInput]]:
    return TypeAdapter(list[UsageInput])


def describe_validation_error(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors()[:5]:
        field = ".".join(str(p) for p in err["loc"]) or "usage"
        msg = err["msg"].removeprefix("Value error, ")
        problems.append(f"{field}: {msg}")
    more = len(exc.errors()) - 5
    suffix = f" (and {more} more)" if more > 0 else ""
    return "invalid usage, nothing recorded: " + "; ".join(problems) + suffix
