"""stat_day_ratings: the answers per rating level of a closed day, for any levels of the hall file.

Stores made between the first release and versioned upgrades may have the table already
(`create_all` made it); it is created only where missing.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("stat_day_ratings"):
        return
    op.create_table(
        "stat_day_ratings",
        sa.Column("hall", sa.String(32), primary_key=True), sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("agency", sa.String(32), primary_key=True), sa.Column("level", sa.String(32), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False), sa.Column("answers", sa.Integer, nullable=False),
    )
