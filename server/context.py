"""What the server lifespan yields to every tool: the process's state and its subscriptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mcp.server.mcpserver import Context

from core import ModelConfigManager

from .notify import Subscriptions
from .state import ServerState


@dataclass
class App:
    state: ServerState
    subscriptions: Subscriptions = field(default_factory=Subscriptions)


def app_of(ctx: Context[Any, Any]) -> App:
    app = ctx.request_context.lifespan_context
    assert isinstance(app, App), "the server was built without build_server()"
    return app


def manager_for_report(ctx: Context[Any, Any]) -> ModelConfigManager:
    """The manager, after importing new Claude Code usage when auto-import is on."""
    state = app_of(ctx).state
    state.refresh()
    return state.manager
