"""How a function becomes a tool: domain errors turned into messages, results sent as compact JSON,
unknown arguments refused.

Tool functions return pydantic models; their return annotation is the tool's output schema.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel

from core.errors import ModelConfigError

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)


def _result(model: BaseModel) -> CallToolResult:
    """Structured content plus the same JSON as text, without the SDK's indentation: a model reads
    every byte of a tool result, and indenting made results about a quarter larger."""
    structured = model.model_dump(mode="json", by_alias=True)
    text = json.dumps(structured, separators=(",", ":"), ensure_ascii=False)
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=structured)


def adapt(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a tool function: a `ModelConfigError` becomes `ToolError(message)` (an `is_error` result
    with the domain's message; the SDK hides the text of any other exception), and the returned
    model becomes a compact result. The signature, return annotation included, is kept."""
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> CallToolResult:
            try:
                return _result(await fn(*args, **kwargs))
            except ModelConfigError as exc:
                raise ToolError(str(exc)) from exc

        return async_wrapper

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> CallToolResult:
        try:
            return _result(fn(*args, **kwargs))
        except ModelConfigError as exc:
            raise ToolError(str(exc)) from exc

    return wrapper


def make_tool(fn: Callable[..., Any], title: str, annotations: ToolAnnotations) -> Tool:
    """A tool whose input schema says `additionalProperties: false` and whose validation enforces it:
    a misspelt argument is an error the model can fix, not a default silently used."""
    description = inspect.cleandoc(fn.__doc__ or "")
    tool = Tool.from_function(adapt(fn), title=title, description=description, annotations=annotations)
    assert tool.output_schema is not None, f"{tool.name} must return a pydantic model"
    loose = tool.fn_metadata.arg_model
    strict = type(loose.__name__, (loose,), {"model_config": {**loose.model_config, "extra": "forbid"}})
    tool.fn_metadata.arg_model = strict
    tool.parameters["additionalProperties"] = False
    return tool
