"""Domain errors become tool errors the calling model can act on; anything else stays a logged crash."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from mcp.server.mcpserver.exceptions import ToolError

from core.errors import ModelConfigError

F = TypeVar("F", bound=Callable[..., Any])


def tool_errors(fn: F) -> F:
    """Raise `ToolError(message)` for a `ModelConfigError`, so the client gets an `is_error` result
    with the domain's message (the SDK replaces the text of any other exception with a generic one)."""
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return await fn(*args, **kwargs)
            except ModelConfigError as exc:
                raise ToolError(str(exc)) from exc

        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ModelConfigError as exc:
            raise ToolError(str(exc)) from exc

    return wrapper  # type: ignore[return-value]
