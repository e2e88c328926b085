"""Tool argument types: constraints and descriptions once, shared by every tool's input schema."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from core.usage import MAX_DESCRIPTION, MAX_ID, MAX_NAME, MAX_TOKENS

AgentType = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_NAME,
        description="The agent's role, e.g. 'backend-engineer', 'security-auditor', 'docs-writer'",
    ),
]
ProjectId = Annotated[
    str | None, Field(min_length=1, max_length=MAX_ID, description="Project to attribute or filter by")
]
SessionId = Annotated[
    str | None, Field(min_length=1, max_length=MAX_ID, description="Session to attribute or filter by")
]
ModelFilter = Annotated[
    str | None, Field(min_length=1, max_length=MAX_NAME, description="Model id to filter by, e.g. 'claude-sonnet-4-5'")
]
TaskDescription = Annotated[
    str | None, Field(max_length=MAX_DESCRIPTION, description="What the task is; its complexity shapes the choice")
]
Tokens = Annotated[int, Field(ge=0, le=MAX_TOKENS)]

Period = Annotated[Literal["daily", "weekly", "monthly"], Field(description="Budget period (calendar window)")]


Days = Annotated[
    int, Field(ge=1, le=366, description="Window: the last N local calendar days, today included (1 to 366)")
]
OptionalDays = Annotated[
    int | None,
    Field(ge=1, le=36_500, description="Window: the last N local calendar days, today included; omit for all time"),
]
Limit = Annotated[int, Field(ge=1, le=100, description="Page size (1 to 100)")]
Offset = Annotated[int, Field(ge=0, le=10_000_000, description="Items to skip: the next_offset of the previous page")]
FileName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description="A plain file name such as 'costs.csv'; it is written in the server's export directory",
    ),
]
