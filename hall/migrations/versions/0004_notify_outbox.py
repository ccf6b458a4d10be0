"""notify_outbox: notifications written with the events that cause them (hall/outbox.py).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("notify_outbox"):
        return
    op.create_table(
        "notify_outbox",
        sa.Column("hall", sa.String(32), primary_key=True), sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("key", sa.String(120), nullable=False), sa.Column("sink", sa.String(128), nullable=False),
        sa.Column("event", sa.String(32), nullable=False), sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False), sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False), sa.Column("next_at", sa.Float, nullable=False),
        sa.Column("last_error", sa.String(300)), sa.Column("delivered_at", sa.Float),
    )
    op.create_index("ix_notify_outbox_due", "notify_outbox", ["hall", "status", "next_at"])
