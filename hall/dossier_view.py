"""A dossier as people and printers see it: the public lookup (anyone holding its code), the
officer's view and the lookup address printed on the receipt (like `ticket_view` for tickets).

The public view is built from an allow-list of fields — agency, procedure, status, dates — and
never carries the citizen's name or phone (DESIGN.md principle 8); the officer's view adds them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .config import HallConfig
from .dossiers import Dossier

NEVER_OVERDUE = ("refused",)  # a refused dossier has no result to return late


def lookup_url(config: HallConfig, code: str) -> str:
    """The address printed as the receipt's QR code."""
    return f"{config.public_url}/dossier/{code}"


def public_view(config: HallConfig, found: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """A dossier as read back from the `stat_dossiers` read model (`hall.stats.dossier_public`)."""
    view = _public_fields(config, found)
    view["returned_on"] = found["returned_on"]
    view["outcome"] = found["outcome"]
    view["overdue"] = found["returned_on"] is None and found["status"] not in NEVER_OVERDUE and today > dt.date.fromisoformat(found["due"])
    return view


def officer_view(config: HallConfig, d: Dossier) -> dict[str, Any]:
    """An open dossier for the officers handling it: the public fields and the citizen's."""
    facts = {
        "code": d.code, "department": d.department, "procedure": d.procedure, "procedure_name": d.procedure_name,
        "status": d.status, "received_at": config.local(d.received_at).isoformat(timespec="minutes"),
        "due": d.due.isoformat(), "new_due": d.new_due.isoformat() if d.new_due else None,
        "limit_days": d.limit_days, "limit_hours": d.limit_hours,
    }
    return {
        **_public_fields(config, facts),
        "citizen_name": d.citizen_name, "citizen_phone": d.citizen_phone,
        "ticket": d.ticket, "cabin": d.cabin, "officer": d.officer,
        "receipt_url": f"/api/v1/dossiers/{d.code}/receipt",
    }


def _public_fields(config: HallConfig, facts: Mapping[str, Any]) -> dict[str, Any]:
    agency = config.departments.get(facts["department"])
    return {
        "code": facts["code"], "department": facts["department"],
        "department_name": agency.name if agency else facts["department"],
        "procedure": facts["procedure"], "procedure_name": facts["procedure_name"], "status": facts["status"],
        "received_at": facts["received_at"], "due": facts["due"], "new_due": facts["new_due"],
        "limit_days": facts["limit_days"], "limit_hours": facts["limit_hours"],
        "lookup_url": lookup_url(config, facts["code"]),
    }
