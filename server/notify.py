"""Resource-updated notifications when a new record changes the budget report and cost views.

Two protocol eras, both served:
- handshake clients (2025-11-25 and earlier, Claude Code over stdio) send `resources/subscribe`;
  we remember the URIs per connection and send `notifications/resources/updated` on it.
- 2026-07-28 clients open a `subscriptions/listen` stream; the SDK's subscription bus delivers
  the `ResourceUpdated` events we publish to streams whose filter names the URI.
"""

from __future__ import annotations

import logging
from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.server.session import ServerSession
from mcp.types import EmptyResult, SubscribeRequestParams, UnsubscribeRequestParams

logger = logging.getLogger("model_config.server")

# The resources a new record changes that have a fixed URI (what 2026-07-28 listeners can name).
RECORD_URIS = ("budget://report", "budget://daily", "budget://weekly", "budget://monthly", "costs://history")
# Every URI under these schemes depends on the ledger's records (templates included).
_RECORD_SCHEMES = ("budget://", "costs://")


def changes_with_records(uri: str) -> bool:
    return uri.startswith(_RECORD_SCHEMES)


class Subscriptions:
    """`resources/subscribe` registrations, per connection, cleared when the connection closes."""

    def __init__(self) -> None:
        self._by_connection: dict[int, tuple[ServerSession, set[str]]] = {}

    @staticmethod
    def _connection(ctx: ServerRequestContext[Any, Any]) -> Any:
        # ServerSession is a per-request proxy; the connection behind it identifies the client.
        # The SDK has no public accessor for it yet, hence the private attribute (pinned mcp<3).
        return getattr(ctx.session, "_connection", ctx.session)

    async def subscribe(self, ctx: ServerRequestContext[Any, Any], params: SubscribeRequestParams) -> EmptyResult:
        connection = self._connection(ctx)
        key = id(connection)
        if key not in self._by_connection:
            self._by_connection[key] = (ctx.session, set())
            stack = getattr(connection, "exit_stack", None)
            if stack is not None:
                stack.callback(self._by_connection.pop, key, None)
        self._by_connection[key][1].add(str(params.uri))
        return EmptyResult()

    async def unsubscribe(self, ctx: ServerRequestContext[Any, Any], params: UnsubscribeRequestParams) -> EmptyResult:
        entry = self._by_connection.get(id(self._connection(ctx)))
        if entry is not None:
            entry[1].discard(str(params.uri))
        return EmptyResult()

    async def records_changed(self, ctx: Context[Any, Any]) -> None:
        """Tell every subscriber whose resource a new record changed."""
        for key, (session, uris) in list(self._by_connection.items()):
            for uri in sorted(u for u in uris if changes_with_records(u)):
                try:
                    await session.send_resource_updated(uri)
                except Exception as exc:  # the client went away: forget it rather than fail the tool call
                    logger.info("dropping resource subscriptions of a closed connection: %r", exc)
                    self._by_connection.pop(key, None)
                    break
        for uri in RECORD_URIS:
            await ctx.notify_resource_updated(uri)
