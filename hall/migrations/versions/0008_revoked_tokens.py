"""revoked_tokens: signed-out bearer tokens until they expire (api/revocations.py), so that a
restart or a failover does not accept a token its user signed out.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("revoked_tokens"):
        return
    op.create_table(
        "revoked_tokens",
        sa.Column("hall", sa.String(32), primary_key=True), sa.Column("signature", sa.String(64), primary_key=True),
        sa.Column("expiry", sa.Float, nullable=False),
    )
