"""Security headers on every answer, and the Content-Security-Policy on every page.

The pages (displays/pages, the printable documents of displays/templates) hold no inline script,
no inline style and no `style=`/`on…=` attribute: their code and look are files of
displays/static. So the policy can be strict — `default-src 'self'` and nothing inline — and a
name or reason that someone slipped past escaping could still not run as script. The test
tests/test_browser_pages.py loads every page under this policy in Chromium and fails on any
violation.

* `frame-ancestors 'none'` and `X-Frame-Options: DENY` (older browsers) on every page: no page of
  the hall is meant to be framed, and the staff pages (officer console, dashboard) must not be,
  or a hostile page could overlay them and steal clicks.
* `X-Content-Type-Options: nosniff` everywhere: a file is only ever what its type says.
* `Referrer-Policy: no-referrer`: the tracking address carries the ticket id (the citizen's key),
  so it must not leak to another site in a Referer header.
* `Strict-Transport-Security` only when the request came over TLS (directly, or through a trusted
  proxy that said so: api/forwarded.py), as the standard requires; over plain HTTP on a LAN it
  would be ignored anyway.
"""

from __future__ import annotations

from quart import Response, request
from quart_trio import QuartTrio

POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",  # data: for the empty favicon link
    "connect-src 'self'",  # 'self' covers ws:/wss: to the same host (CSP level 3)
    "media-src 'self'",  # the voice's WAV files
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
HSTS = "max-age=31536000"
ALWAYS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
ON_PAGES = {"Content-Security-Policy": POLICY, "X-Frame-Options": "DENY"}


def install_page_headers(app: QuartTrio) -> None:
    app.after_request(add_security_headers)


async def add_security_headers(response: Response) -> Response:
    for name, value in ALWAYS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        for name, value in ON_PAGES.items():
            response.headers.setdefault(name, value)
    if request.scheme == "https":
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response
