"""Exporting the decision record's replies as CSV (audited)."""

from __future__ import annotations

import csv
import io
import zoneinfo

from django.utils.translation import gettext as _

from circulation.models import Circulation
from circulation.reads.records import ReplyRow, build_record
from portal import audit
from portal.models import User

JST = zoneinfo.ZoneInfo("Asia/Tokyo")
# Spreadsheets run a cell starting with these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def export_replies_csv(circulation: Circulation, *, by: User, masked: bool) -> bytes:
    """Every recipient's current reply as CSV, UTF-8 with a BOM so that Excel in Japan
    reads it as UTF-8. Masked: the 委員 column says 「委員」 on every row."""
    record = build_record(circulation, masked=masked)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [_("委員"), _("回答"), _("意見"), _("審議の要否"), _("回答方法"),
         _("回答日時(日本時間)"), _("版")]
    )  # fmt: skip
    for row in record.rows:
        writer.writerow([safe_cell(value) for value in _csv_row(row)])
    audit.record(
        "circulation.record.exported",
        actor=by,
        obj=circulation,
        data={"format": "csv", "masked": masked, "rows": len(record.rows)},
    )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_row(row: ReplyRow) -> list[str]:
    reply = row.reply
    who = f"{row.who}({row.role_label})" if row.role_label else row.who
    if reply is None:
        return [who, row.answer_label, "", "", "", "", ""]
    return [
        who,
        row.answer_label,
        reply.opinion,
        row.meeting_label,
        reply.get_channel_display(),
        reply.submitted_at.astimezone(JST).strftime("%Y-%m-%d %H:%M"),
        str(reply.version),
    ]


def safe_cell(value: str) -> str:
    """A text cell a spreadsheet shows as text, never runs as a formula."""
    if value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value
