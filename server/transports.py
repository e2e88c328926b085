"""Running the server: stdio, Streamable HTTP at /mcp, or the older HTTP+SSE transport."""

from __future__ import annotations

import socket
import sys
from typing import Any, Literal

import anyio
from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings

from .security import ASGIApp, HttpPolicy, SecurityMiddleware

Transport = Literal["stdio", "sse", "http"]
MCP_PATH = "/mcp"
SSE_PATH = "/sse"
MESSAGE_PATH = "/messages/"

# Host and Origin are checked by SecurityMiddleware for every route, before the SDK sees a request.
_CHECKED_OUTSIDE = TransportSecuritySettings(enable_dns_rebinding_protection=False)


def asgi_app(mcp: MCPServer[Any], transport: Transport, policy: HttpPolicy) -> ASGIApp:
    if transport == "http":
        app = mcp.streamable_http_app(streamable_http_path=MCP_PATH, transport_security=_CHECKED_OUTSIDE)
    elif transport == "sse":
        app = mcp.sse_app(sse_path=SSE_PATH, message_path=MESSAGE_PATH, transport_security=_CHECKED_OUTSIDE)
    else:
        raise ValueError(f"{transport} is not an HTTP transport")
    return SecurityMiddleware(app, policy)


class ListenError(Exception):
    "The address cannot be listened on."


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0 picks a free port), so the address can be announced before serving."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ListenError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket, transport: Transport) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{MCP_PATH if transport == 'http' else SSE_PATH}"


def serve(mcp: MCPServer[Any], transport: Transport, *, host: str, port: int, policy: HttpPolicy | None) -> None:
    if transport == "stdio":
        anyio.run(mcp.run_stdio_async)
        return
    import uvicorn

    assert policy is not None
    sock = bind(host, port)
    config = uvicorn.Config(asgi_app(mcp, transport, policy), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    auth = "bearer token required" if policy.token else "no token: loopback clients only"
    print(f"model-config: serving {transport} at {url_of(sock, transport)} ({auth})", file=sys.stderr, flush=True)
    server.run(sockets=[sock])
