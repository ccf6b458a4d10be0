"""The statistics tables as CSV, for spreadsheets and the province's own tools."""

from __future__ import annotations

import csv
import io

from sqlalchemy import Connection, select

from .tables import TABLES


def export_csv(conn: Connection, hall: str, table_name: str, start: str | None = None, end: str | None = None) -> str:
    """One stat table as CSV (header row first), optionally limited to days start..end."""
    table = TABLES.get(table_name)
    if table is None:
        raise KeyError(table_name)
    query = select(table).where(table.c.hall == hall)
    if start is not None:
        query = query.where(table.c.day >= start)
    if end is not None:
        query = query.where(table.c.day <= end)
    query = query.order_by(*table.primary_key.columns)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.name for c in table.columns])
    for row in conn.execute(query):
        writer.writerow(["" if v is None else v for v in row])
    return buffer.getvalue()
