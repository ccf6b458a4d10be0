"""What the hall is and whether it runs: health, queues, priority categories, the OpenAPI
document and the index of pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from quart import Blueprint, Response, current_app, request
from quart_schema import document_response, validate_querystring

from displays import documents, hall_view

from ..answers import Health, OpenAPIDocument, Priorities, Services
from ..context import current_hall
from ..errors import json_response
from ..openapi import document_file, openapi_document
from .screens import PAGES

bp = Blueprint("overview", __name__)


@dataclass(frozen=True)
class HealthQuery:
    role: Literal["owner", "standby"] | None = None  # 503 unless this node has that role


@bp.get("/api/v1/health")
@validate_querystring(HealthQuery)
@document_response(Health)
@document_response(Health, 503)
async def health(query_args: HealthQuery) -> Response:
    """Whether the hall runs, and this node's role in it: `owner` or `standby` (with `--node`;
    alone a node owns its halls). `?role=owner` answers 503 on a standby, for load balancers
    that look only at the status."""
    hall = current_hall()
    runtime = hall.runtime
    body = {
        "status": "ok" if runtime.failure is None else "failed",
        "role": runtime.role,
        "node": runtime.node,
        "owner": runtime.owner if runtime.node else None,
        "epoch": runtime.epoch,
        "hall": hall.config.id,
        "name": hall.config.name,
        "day": hall.engine.state.day,
        "seq": hall.engine.state.seq,
        "durable_seq": runtime.durable_seq,
        "replayed_events": runtime.replayed,
        "failure": runtime.failure,
    }
    wanted = query_args.role
    healthy = runtime.failure is None and wanted in (None, runtime.role)
    return json_response(body, 200 if healthy else 503)


@bp.get("/api/v1/services")
@document_response(Services)
async def services() -> Response:
    """Queues with their waiting count and wait estimate."""
    hall = current_hall()
    return json_response({"services": [hall_view.service_summary(hall.engine, code) for code in hall.config.services]})


@bp.get("/api/v1/priorities")
@document_response(Priorities)
async def priorities() -> Response:
    """The priority categories a kiosk or staff may give a ticket."""
    config = current_hall().config
    return json_response({"priorities": [{"code": p.code, "name": p.name} for p in config.priorities.values()]})


@bp.get("/openapi.json")
@document_response(OpenAPIDocument)
async def openapi() -> Response:
    """This document: every route, generated from the routes' own declarations (api/openapi.py)."""
    return json_response(openapi_document(current_app))


@bp.get("/")
@document_file("text/html", "the index of pages")
async def index() -> Response:
    """The index of the hall's pages."""
    base = f"/h/{current_hall().config.id}" if request.path.startswith("/h/") else ""
    page = documents.index_page(current_hall().config.name, [base + path for path in (*PAGES, "/display/cabin/1")])
    return Response(page, content_type="text/html; charset=utf-8")
