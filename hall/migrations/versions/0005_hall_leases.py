"""hall_leases: which node owns each hall, with its fencing epoch (hall/ownership.py).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("hall_leases"):
        return
    op.create_table(
        "hall_leases",
        sa.Column("hall", sa.String(32), primary_key=True), sa.Column("node", sa.String(64), nullable=False),
        sa.Column("epoch", sa.BigInteger, nullable=False), sa.Column("pid", sa.Integer),
        sa.Column("renewed_at", sa.DateTime(timezone=True), nullable=False),
    )
