"""HTTP and SSE security: Host and Origin checks (DNS rebinding) and a bearer token, as ASGI middleware.

Order: a foreign Host gets 421, a foreign Origin 403, a missing or wrong token 401. Requests
without an Origin header (every non-browser client) pass the Origin check; browsers always send
one on cross-origin requests, which is what a rebinding attack needs.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})


class SecurityConfigError(ValueError):
    "The server cannot listen safely as asked (e.g. a non-loopback address without a token)."


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_token(token_file: str | None = None) -> str | None:
    """The bearer token: --token-file, else $MODEL_CONFIG_TOKEN, else $MODEL_CONFIG_TOKEN_FILE; None if unset."""
    path = token_file or (None if os.environ.get("MODEL_CONFIG_TOKEN") else os.environ.get("MODEL_CONFIG_TOKEN_FILE"))
    if path:
        try:
            token = Path(path).expanduser().read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SecurityConfigError(f"token file {path} cannot be read: {exc.strerror}") from None
        if not token:
            raise SecurityConfigError(f"token file {path} is empty")
        return token
    token = os.environ.get("MODEL_CONFIG_TOKEN", "").strip()
    return token or None


@dataclass(frozen=True)
class HttpPolicy:
    token: str | None
    allowed_hosts: frozenset[str] | None  # host names (no port) accepted in Host; None = any
    allowed_origin_hosts: frozenset[str]  # host names accepted in Origin

    @classmethod
    def for_bind(cls, host: str, token: str | None, extra_hosts: Iterable[str] = ()) -> HttpPolicy:
        """Loopback binds accept loopback names only; other binds need a token."""
        extra = {h.lower().strip("[]") for h in extra_hosts}
        bind = host.lower().strip("[]")
        if not is_loopback(bind) and not token:
            raise SecurityConfigError(
                f"refusing to listen on {host} without a token: set MODEL_CONFIG_TOKEN or pass --token-file "
                "(or bind 127.0.0.1)"
            )
        names = set(LOOPBACK_NAMES) | extra
        if bind not in WILDCARD_HOSTS:
            names.add(bind)
        # On a wildcard bind the Host a client uses is not known in advance: the token guards it.
        hosts = None if bind in WILDCARD_HOSTS and not extra else frozenset(names)
        return cls(token=token, allowed_hosts=hosts, allowed_origin_hosts=frozenset(names))

    def check(self, headers: dict[str, str]) -> tuple[int, str] | None:
        """(status, reason) to refuse a request with, or None to let it through."""
        if self.allowed_hosts is not None and _host_name(headers.get("host", "")) not in self.allowed_hosts:
            return 421, "Host not allowed"
        origin = headers.get("origin")
        if origin is not None and not self._origin_allowed(origin):
            return 403, "Origin not allowed"
        if self.token is not None:
            scheme, _, credentials = headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(credentials.strip().encode(), self.token.encode()):
                return 401, "missing or invalid bearer token"
        return None

    def _origin_allowed(self, origin: str) -> bool:
        try:
            parts = urlsplit(origin)
            host = (parts.hostname or "").lower()
            _ = parts.port  # raises on a malformed port
        except ValueError:
            return False
        return parts.scheme in ("http", "https") and host in self.allowed_origin_hosts


def _host_name(host_header: str) -> str:
    """'example.com:8000' -> 'example.com'; '[::1]:8000' -> '::1'."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else ""
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class SecurityMiddleware:
    """Wraps the whole ASGI app: every HTTP request is checked before any route runs."""

    def __init__(self, app: ASGIApp, policy: HttpPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        refusal = self.policy.check(headers)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        status, reason = refusal
        body = json.dumps({"error": reason}).encode()
        response_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if status == 401:
            response_headers.append((b"www-authenticate", b'Bearer realm="model-config"'))
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": body})
