"""The tracking table (送付先ごとの状況) downloaded by the secretariat: CSV that Excel opens
correctly (UTF-8 with a BOM) and .xlsx (openpyxl). Every download is audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo

from django.utils.translation import gettext as _
from openpyxl import Workbook

from circulation.models import Circulation
from circulation.reads.tracking_export import ExportRow, export_rows
from circulation.services.records import safe_cell
from portal import audit
from portal.models import User

JST = zoneinfo.ZoneInfo("Asia/Tokyo")
FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _headings() -> list[str]:
    return [
        _("委員"), _("役割"), _("メールアドレス"), _("資料を開いた日時(日本時間)"),
        _("開いた資料の数"), _("資料の数"), _("回答"), _("審議すべき重要事項の有無"),
        _("意見"), _("回答日時(日本時間)"), _("回答方法"), _("版"),
    ]  # fmt: skip


def _japan(moment: dt.datetime | None) -> dt.datetime | None:
    # Excel has no time zones: the time as the council reads it, without one.
    return moment.astimezone(JST).replace(tzinfo=None) if moment else None


def _values(row: ExportRow) -> list[object]:
    return [
        row.name, row.role, row.email, _japan(row.first_opened_at), row.materials_opened,
        row.materials, row.answer, row.meeting, row.opinion, _japan(row.submitted_at),
        row.channel, row.version,
    ]  # fmt: skip


def export_tracking(circulation: Circulation, *, by: User, fmt: str) -> bytes:
    """Every recipient's row of the tracking table as CSV or .xlsx bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    rows = [_values(row) for row in export_rows(circulation)]
    data = _csv(rows) if fmt == "csv" else _xlsx(rows, circulation)
    audit.record(
        "circulation.reads.tracking.exported",
        actor=by,
        obj=circulation,
        data={"format": fmt, "rows": len(rows)},
    )
    return data


def _csv(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_headings())
    for values in rows:
        writer.writerow([_csv_text(value) for value in values])
    # The BOM tells Excel in Japan that the file is UTF-8 (else it reads Shift_JIS).
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return safe_cell(str(value))


def _xlsx(rows: list[list[object]], circulation: Circulation) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("回答状況")
    sheet.append(_headings())
    for values in rows:
        sheet.append(values)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif cell.data_type == "f":
                # openpyxl takes text starting with "=" for a formula: keep it text.
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    book.properties.title = circulation.title[:200]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
