"""The first release's store (git 936c4c0): the journal, settings and the statistics tables.

The baseline: a store that has these tables and no version (every store the first release
wrote) is stamped at this revision and upgraded from here. Written out column by column as the
first release made them, not from today's models, so the baseline never moves.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

S = sa.String


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("hall", S(32), primary_key=True), sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("at", sa.Float, nullable=False), sa.Column("type", S(40), nullable=False),
        sa.Column("actor", S(64)), sa.Column("data", sa.Text, nullable=False),
    )
    op.create_table("settings", sa.Column("key", S(64), primary_key=True), sa.Column("value", sa.Text, nullable=False))
    op.create_table(
        "stat_tickets",
        sa.Column("hall", S(32), primary_key=True), sa.Column("id", S(64), primary_key=True),
        sa.Column("day", S(10), nullable=False), sa.Column("number", S(16), nullable=False),
        sa.Column("service", S(32), nullable=False), sa.Column("department", S(32), nullable=False),
        sa.Column("priority", S(32)), sa.Column("channel", S(16), nullable=False),
        sa.Column("issued_at", sa.Float, nullable=False), sa.Column("hour", sa.Integer, nullable=False),
        sa.Column("target_wait_s", sa.Float, nullable=False), sa.Column("first_called_at", sa.Float),
        sa.Column("wait_s", sa.Float), sa.Column("first_cabin", sa.Integer), sa.Column("first_officer", S(64)),
        sa.Column("current_service", S(32), nullable=False), sa.Column("outcome", S(16), nullable=False),
        sa.Column("ended_at", sa.Float), sa.Column("transfers", sa.Integer, nullable=False),
    )
    op.create_index("ix_stat_tickets_hall_day", "stat_tickets", ["hall", "day"])
    op.create_table(
        "stat_segments",
        sa.Column("hall", S(32), primary_key=True), sa.Column("ticket", S(64), primary_key=True),
        sa.Column("called_at", sa.Float, primary_key=True), sa.Column("day", S(10), nullable=False),
        sa.Column("cabin", sa.Integer, nullable=False), sa.Column("officer", S(64)),
        sa.Column("service", S(32), nullable=False), sa.Column("department", S(32), nullable=False),
        sa.Column("started_at", sa.Float), sa.Column("ended_at", sa.Float), sa.Column("end_hour", sa.Integer),
        sa.Column("outcome", S(16), nullable=False),
    )
    op.create_index("ix_stat_segments_hall_day", "stat_segments", ["hall", "day"])
    op.create_table(
        "stat_cabin_time",
        sa.Column("hall", S(32), primary_key=True), sa.Column("cabin", sa.Integer, primary_key=True),
        sa.Column("started_at", sa.Float, primary_key=True), sa.Column("day", S(10), nullable=False),
        sa.Column("officer", S(64)), sa.Column("state", S(8), nullable=False), sa.Column("reason", S(200)),
        sa.Column("ended_at", sa.Float),
    )
    op.create_index("ix_stat_cabin_time_hall_day", "stat_cabin_time", ["hall", "day"])
    op.create_table(
        "stat_ratings",
        sa.Column("hall", S(32), primary_key=True), sa.Column("ticket", S(64), primary_key=True),
        sa.Column("criterion", S(32), primary_key=True), sa.Column("day", S(10), nullable=False),
        sa.Column("at", sa.Float, nullable=False), sa.Column("cabin", sa.Integer), sa.Column("officer", S(64)),
        sa.Column("service", S(32)), sa.Column("department", S(32)), sa.Column("level", S(32), nullable=False),
    )
    op.create_index("ix_stat_ratings_hall_day", "stat_ratings", ["hall", "day"])
    op.create_table(
        "stat_dossiers",
        sa.Column("hall", S(32), primary_key=True), sa.Column("code", S(40), primary_key=True),
        sa.Column("day", S(10), nullable=False), sa.Column("received_at", sa.Float, nullable=False),
        sa.Column("department", S(32), nullable=False), sa.Column("procedure", S(40), nullable=False),
        sa.Column("procedure_name", S(300), nullable=False), sa.Column("limit_days", sa.Integer),
        sa.Column("limit_hours", sa.Integer), sa.Column("due", S(10), nullable=False),
        sa.Column("status", S(24), nullable=False), sa.Column("cabin", sa.Integer), sa.Column("officer", S(64)),
        sa.Column("returned_at", sa.Float), sa.Column("returned_on", S(10)), sa.Column("outcome", S(8)),
        sa.Column("return_cabin", sa.Integer), sa.Column("return_officer", S(64)), sa.Column("new_due", S(10)),
        sa.Column("reason", S(300)),
    )
    op.create_index("ix_stat_dossiers_hall_day", "stat_dossiers", ["hall", "day"])
    op.create_index("ix_stat_dossiers_hall_returned_on", "stat_dossiers", ["hall", "returned_on"])
    op.create_index("ix_stat_dossiers_hall_due", "stat_dossiers", ["hall", "due"])
    counts = ("tickets_issued", "served", "no_show", "cancelled", "transferred")
    dossier_counts = ("dossiers_received", "returned_early", "returned_on_time", "returned_late", "overdue_pending")
    op.create_table(
        "stat_day_summary",
        sa.Column("hall", S(32), primary_key=True), sa.Column("day", S(10), primary_key=True),
        sa.Column("agency", S(32), primary_key=True), sa.Column("name", S(200), nullable=False),
        *[sa.Column(name, sa.Integer, nullable=False) for name in counts],
        sa.Column("avg_wait_minutes", sa.Float), sa.Column("within_target_pct", sa.Float),
        *[sa.Column(name, sa.Integer, nullable=False) for name in dossier_counts],
        *[sa.Column(name, sa.Integer, nullable=False) for name in ("rat_hai_long", "hai_long", "khong_hai_long")],
        sa.Column("satisfaction_pct", sa.Float), sa.Column("rank", sa.Integer), sa.Column("hourly", sa.Text, nullable=False),
    )
