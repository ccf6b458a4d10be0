"""personal_data: citizens' names and phones kept beside the journal, so retention can delete them.

Adds `events.personal` and the `personal_data` table, and moves the citizen name and phone of
every `dossier_received` event written before (the first release kept them in the event's JSON)
into personal_data, with the moment the dossier was returned or refused, if it was. The event's
JSON keeps every other field; replay puts the personal fields back from personal_data.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PERSONAL_FIELDS = ("citizen_name", "citizen_phone")


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    if "personal" not in {c["name"] for c in inspector.get_columns("events")}:
        op.add_column("events", sa.Column("personal", sa.String(64), nullable=True))
    if not inspector.has_table("personal_data"):
        op.create_table(
            "personal_data",
            sa.Column("hall", sa.String(32), primary_key=True), sa.Column("ref", sa.String(64), primary_key=True),
            sa.Column("kind", sa.String(16), nullable=False), sa.Column("data", sa.Text, nullable=False),
            sa.Column("recorded_at", sa.Float, nullable=False), sa.Column("closed_at", sa.Float),
        )
    move_inline_personal_data(bind)


def move_inline_personal_data(bind: sa.Connection) -> None:
    events = sa.table("events", sa.column("hall"), sa.column("seq"), sa.column("at"), sa.column("type"),
                      sa.column("data"), sa.column("personal"))
    personal = sa.table("personal_data", sa.column("hall"), sa.column("ref"), sa.column("kind"), sa.column("data"),
                        sa.column("recorded_at"), sa.column("closed_at"))
    closings: dict[tuple[str, str], float] = {}
    closing_query = sa.select(events.c.hall, events.c.at, events.c.type, events.c.data).where(
        events.c.type.in_(("dossier_returned", "dossier_status_changed")))
    for hall, at, kind, data in bind.execute(closing_query):
        fields = json.loads(data)
        if kind == "dossier_returned" or fields.get("status") == "refused":
            closings[(hall, fields["code"])] = at
    received = bind.execute(sa.select(events.c.hall, events.c.seq, events.c.at, events.c.data).where(
        events.c.type == "dossier_received", events.c.personal.is_(None))).all()
    for hall, seq, at, data in received:
        fields = json.loads(data)
        if not any(name in fields for name in PERSONAL_FIELDS):
            continue
        kept = {name: fields.pop(name, None) for name in PERSONAL_FIELDS}
        ref = None
        if any(value is not None for value in kept.values()):
            ref = f"dossier:{fields['code']}"
            bind.execute(personal.insert().values(hall=hall, ref=ref, kind="dossier", data=json.dumps(kept, ensure_ascii=False),
                                                  recorded_at=at, closed_at=closings.get((hall, fields["code"]))))
        text = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
        bind.execute(events.update().where(events.c.hall == hall, events.c.seq == seq).values(data=text, personal=ref))
