"""The statistics tables as CSV, for spreadsheets and the province's own tools (and their rows for
the .xlsx workbooks of displays/spreadsheets.py).

Some cells are free text typed by officers (a pause reason, a dossier status reason). A
spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return as a
formula (`=HYPERLINK(…)` becomes a live link), so such text cells are written with a leading
apostrophe, which spreadsheets show as text (OWASP "CSV injection"). Numbers are written as they are.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import Connection, select

from ..ticket_view import ticket_tag
from .tables import TABLES


TICKET_COLUMNS = {"tickets": "id", "segments": "ticket", "ratings": "ticket"}  # the columns holding a ticket's id


def table_rows(conn: Connection, hall: str, table_name: str, start: str | None = None,
               end: str | None = None, ticket_ids: bool = True) -> tuple[list[str], list[tuple[Any, ...]]]:
    """One stat table's column names and rows (in key order), optionally limited to days start..end:
    what both the CSV and the workbook (displays/spreadsheets.py) export. Without `ticket_ids`
    a ticket is named by its `ticket_tag` (the read-only roles: an id is what cancels a ticket)."""
    table = TABLES.get(table_name)
    if table is None:
        raise KeyError(table_name)
    query = select(table).where(table.c.hall == hall)
    if start is not None:
        query = query.where(table.c.day >= start)
    if end is not None:
        query = query.where(table.c.day <= end)
    query = query.order_by(*table.primary_key.columns)
    columns = [c.name for c in table.columns]
    rows = [tuple(row) for row in conn.execute(query)]
    if not ticket_ids and table_name in TICKET_COLUMNS:
        at = columns.index(TICKET_COLUMNS[table_name])
        rows = [(*row[:at], ticket_tag(row[at]), *row[at + 1:]) for row in rows]
    return columns, rows


def export_csv(conn: Connection, hall: str, table_name: str, start: str | None = None, end: str | None = None,
               ticket_ids: bool = True) -> str:
    """One stat table as CSV (header row first), optionally limited to days start..end."""
    columns, rows = table_rows(conn, hall, table_name, start, end, ticket_ids)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([neutral_cell(v) for v in row])
    return buffer.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral_cell(value: object) -> object:
    """A value as a CSV cell no spreadsheet runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
