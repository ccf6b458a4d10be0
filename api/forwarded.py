"""The client's address behind a reverse proxy, trusted only from the proxies named.

nginx (docs/deploy.md) appends the address it saw to `X-Forwarded-For` and says the scheme in
`X-Forwarded-Proto`. A request whose peer is one of `--trusted-proxy` gets the last address of
that header as its client (the one the proxy itself added; anything before it came from the
client and may be forged) and the forwarded scheme. From any other peer the headers change
nothing, so a client talking to the hall directly cannot claim to be someone else.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, Iterable

FORWARDED_BY = "hall.forwarded_by"  # scope key: the trusted proxy a request's client came through

ASGIApp = Callable[[dict, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]]


def trust_forwarded(app: ASGIApp, proxies: Iterable[str]) -> ASGIApp:
    """`app` with the client address and scheme taken from trusted proxies' headers."""
    trusted = frozenset(_normal(p) for p in proxies)
    if not trusted:
        return app

    async def wrapped(scope: dict, receive: Callable[[], Awaitable[dict]], send: Callable[[dict], Awaitable[None]]) -> None:
        client = scope.get("client")
        if scope["type"] in ("http", "websocket") and client and _normal(client[0]) in trusted:
            scope = forwarded_scope(scope)
        await app(scope, receive, send)

    return wrapped


def forwarded_scope(scope: dict) -> dict:
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}
    scope = dict(scope)
    hops = [h.strip() for h in headers.get("x-forwarded-for", "").split(",") if h.strip()]
    if hops:
        scope[FORWARDED_BY] = scope["client"][0]
        scope["client"] = (hops[-1], 0)
    proto = headers.get("x-forwarded-proto", "").strip().lower()
    if proto in ("http", "https"):
        secure = proto == "https"
        scope["scheme"] = ("https" if secure else "http") if scope["type"] == "http" else ("wss" if secure else "ws")
    return scope


def _normal(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address.strip("[]")))
    except ValueError:
        return address
