"""Excel workbooks (.xlsx, openpyxl) of the statistics tables and of the evaluation report.

Leaders and inspectors open reports in Excel, and Excel on Vietnamese regional settings may
read a CSV into one column (its list separator is ";"). A workbook has no such ambiguity and
carries types, so:

* headers are Vietnamese, from the message catalogue (`export.column.<column>`);
* numbers stay numbers; `day`/`due`/… (ISO dates) become dates and `…_at` (seconds since the
  epoch) date-times in the hall's time zone, with a Vietnamese display format;
* every text cell is stored as text, so a name or a reason that begins with `=`, `+`, `-` or `@`
  is shown as typed and never becomes a formula (openpyxl would otherwise write a text starting
  with `=` as one).

Rendering is pure (rows in, bytes out); routes run it off the trio thread (`HallRuntime.offload`).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from . import messages

DATE_COLUMNS = frozenset({"day", "due", "returned_on", "new_due"})
DATE_FORMAT = "dd/mm/yyyy"
TIME_FORMAT = "dd/mm/yyyy hh:mm:ss"
BOLD = Font(bold=True)


def header(column: str, extra: dict[str, str] | None = None) -> str:
    """The Vietnamese header of a column (a rating level's name for rating columns)."""
    if extra and column in extra:
        return extra[column]
    key = f"export.column.{column}"
    return messages.text(key) if key in messages.catalogue() else column


def table_xlsx(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], tz: ZoneInfo,
               extra_headers: dict[str, str] | None = None) -> bytes:
    """One statistics table as a workbook of one sheet: a header row, then the rows, typed."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    sheet.append([_cell(sheet, header(c, extra_headers), bold=True) for c in columns])
    for row in rows:
        sheet.append([_cell(sheet, _typed(column, value, tz)) for column, value in zip(columns, row, strict=True)])
    return _saved(book)


def report_xlsx(report: dict[str, Any]) -> bytes:
    """The evaluation report (hall.reports.evaluation) as a workbook: agencies, officers."""
    levels: dict[str, str] = report["rating_levels"]
    book = Workbook(write_only=True)
    agencies = book.create_sheet(messages.text("export.sheet.agencies"))
    agencies.append([_cell(agencies, messages.text("export.report_title", period=report["period"],
                                                   start=report["from"], end=report["to"]), bold=True)])
    fields = ("rank", "name", "tickets_issued", "served", "avg_wait_minutes", "within_target_pct", "dossiers_received",
              "returned_early", "returned_on_time", "returned_late", "overdue_pending")
    _table(agencies, fields, levels, ("satisfaction_pct", "score"), report["agencies"])
    officers = book.create_sheet(messages.text("export.sheet.officers"))
    fields = ("name", "username", "agency", "served", "no_show", "avg_service_minutes", "idle_minutes", "paused_minutes",
              "dossiers_received")
    _table(officers, fields, levels, ("satisfaction_pct",), report["officers"])
    return _saved(book)


def _table(sheet: WriteOnlyWorksheet, fields: Sequence[str], levels: dict[str, str], tail: Sequence[str],
           entries: Iterable[dict[str, Any]]) -> None:
    heads = [header(f) for f in fields] + [name for name in levels.values()] + [header(f) for f in tail]
    sheet.append([_cell(sheet, h, bold=True) for h in heads])
    for entry in entries:
        counts = [entry["satisfaction"][level]["count"] for level in levels]
        values = [entry.get(f) for f in fields] + counts + [entry.get(f) for f in tail]
        sheet.append([_cell(sheet, v) for v in values])


def _typed(column: str, value: Any, tz: ZoneInfo) -> Any:
    if value is None:
        return None
    if column in DATE_COLUMNS and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if (column == "at" or column.endswith("_at")) and isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, tz).replace(tzinfo=None)  # Excel has no time zones: the hall's wall clock
    return value


def _cell(sheet: WriteOnlyWorksheet, value: Any, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # text, even when it looks like a formula
    elif isinstance(value, dt.datetime):
        cell.number_format = TIME_FORMAT
    elif isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT
    if bold:
        cell.font = BOLD
    return cell


def _saved(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
