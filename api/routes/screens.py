"""The screens' routes: their pages, static files, voice files, the announcer's status and the
`/ws/display/…` socket (what the socket sends: api/screen_feeds.py)."""

from __future__ import annotations

import re
from importlib import resources

from quart import Blueprint, Response
from quart_schema import document_response

from displays import messages

from ..answers import AnnouncerStatus
from ..context import current_hall
from ..errors import ApiError, json_response
from ..openapi import document_file, document_map
from ..screen_feeds import display_feed

bp = Blueprint("screens", __name__)

PAGES = {
    "/display/hall": "hall.html",
    "/board": "board.html",
    "/dashboard": "dashboard.html",
    "/officer": "officer.html",
    "/kiosk": "kiosk.html",
    "/book": "book.html",
}
STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                ".svg": "image/svg+xml", ".png": "image/png", ".woff2": "font/woff2"}
STATIC_NAME = re.compile(r"^[a-z0-9_-]+\.[a-z0-9]+$")
VOICE_NAME = re.compile(r"^[0-9a-f]{32}$")


def page_response(name: str) -> Response:
    """A page of displays/pages, always revalidated (a new release reaches every screen)."""
    html = resources.files("displays").joinpath("pages", name).read_text("utf-8")
    return Response(html, content_type="text/html; charset=utf-8", headers={"Cache-Control": "no-cache"})


@document_file("text/html", "the page")
async def page(name: str) -> Response:
    """A page of the hall (a screen, the kiosk, the officer's console, booking)."""
    return page_response(name)


@document_file("text/html", "the page")
async def cabin_page(number: int) -> Response:
    """The screen above a cabin."""
    return page_response("cabin.html")


@document_file("text/html", "the page")
async def track_page(ticket_id: str) -> Response:
    """A ticket's tracking page (the address its QR code holds)."""
    return page_response("track.html")


for _path, _name in PAGES.items():
    bp.add_url_rule(_path, "page", page, methods=["GET"], defaults={"name": _name})
bp.add_url_rule("/display/cabin/<int:number>", "cabin_page", cabin_page, methods=["GET"])
bp.add_url_rule("/track/<ticket_id>", "track_page", track_page, methods=["GET"])


@bp.get("/book/<code>")
@document_file("text/html", "the page")
async def booking_page(code: str) -> Response:
    """A booking's confirmation page (the address its QR code holds)."""
    return page_response("book.html")


@bp.get("/static/<name>")
@document_file("application/octet-stream", "a script, style sheet, image or font of the pages")
async def static_file(name: str) -> Response:
    """A script, style sheet, image or font of the pages."""
    kind = STATIC_TYPES.get(name[name.rfind("."):]) if "." in name else None
    item = resources.files("displays").joinpath("static", name)
    if not STATIC_NAME.match(name) or kind is None or not item.is_file():
        raise ApiError("not_found", f"no static file {name!r}")
    return Response(item.read_bytes(), content_type=kind, headers={"Cache-Control": "no-cache"})


@bp.get("/messages/<name>.json")
@document_map(str, "the catalogue: message key -> text")
async def messages_file(name: str) -> Response:
    """The message catalogue of language `name` (displays/messages.py), for the pages' `loadMessages`."""
    try:
        body = messages.catalogue_json(name)
    except messages.UnknownLanguage as exc:
        raise ApiError("not_found", str(exc)) from None
    return Response(body, content_type="application/json; charset=utf-8", headers={"Cache-Control": "no-cache"})


@bp.get("/voice/<key>.wav")
@document_file("audio/wav", "a spoken call")
async def voice_file(key: str) -> Response:
    """A spoken call, cached by its text's key."""
    hall = current_hall()
    if not VOICE_NAME.match(key):
        raise ApiError("not_found", f"no voice file {key!r}")
    path = hall.announcer.cache.directory / f"{key}.wav"
    try:
        data = await hall.runtime.offload(path.read_bytes)
    except FileNotFoundError:
        raise ApiError("not_found", f"no voice file {key!r}") from None
    return Response(data, content_type="audio/wav", headers={"Cache-Control": "public, max-age=86400"})


@bp.get("/api/v1/announcements")
@document_response(AnnouncerStatus)
async def announcements() -> Response:
    """The announcer's status: what it says and what waits."""
    return json_response(current_hall().announcer.status())


@bp.websocket("/ws/display/<path:kind>")
async def display_socket(kind: str) -> None:
    await display_feed(current_hall(), kind)
