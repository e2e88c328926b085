"""How a function becomes a tool: domain errors turned into messages, unknown arguments refused."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import ToolAnnotations

from core.errors import ModelConfigError

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)


def tool_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Raise `ToolError(message)` for a `ModelConfigError`, so the client gets an `is_error` result
    with the domain's message (the SDK replaces the text of any other exception with a generic one)."""
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return await fn(*args, **kwargs)
            except ModelConfigError as exc:
                raise ToolError(str(exc)) from exc

        return async_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ModelConfigError as exc:
            raise ToolError(str(exc)) from exc

    return wrapper


def make_tool(fn: Callable[..., Any], title: str, annotations: ToolAnnotations) -> Tool:
    """A tool whose input schema says `additionalProperties: false` and whose validation enforces it:
    a misspelt argument is an error the model can fix, not a default silently used."""
    description = inspect.cleandoc(fn.__doc__ or "")
    tool = Tool.from_function(tool_errors(fn), title=title, description=description, annotations=annotations)
    loose = tool.fn_metadata.arg_model
    strict = type(loose.__name__, (loose,), {"model_config": {**loose.model_config, "extra": "forbid"}})
    tool.fn_metadata.arg_model = strict
    tool.parameters["additionalProperties"] = False
    return tool
