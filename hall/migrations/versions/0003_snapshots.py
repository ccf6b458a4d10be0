"""snapshots: the engine's state after an event, so start-up replays only what follows it.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("snapshots"):
        return
    op.create_table(
        "snapshots",
        sa.Column("hall", sa.String(32), primary_key=True), sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("taken_at", sa.Float, nullable=False), sa.Column("format", sa.Integer, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False), sa.Column("data", sa.LargeBinary, nullable=False),
    )
