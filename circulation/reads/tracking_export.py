"""The tracking table (送付先ごとの状況) as rows for a download: every recipient, not a page,
in the table's order, with their opening and current reply. Two queries whatever the number
of recipients."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Subquery
from django.utils.translation import gettext as _

from circulation.models import Circulation, MaterialOpening, Recipient
from circulation.reads.records import meeting_label


@dataclass(frozen=True)
class ExportRow:
    name: str
    role: str
    email: str
    first_opened_at: dt.datetime | None
    materials_opened: int
    materials: int
    answer: str  # 未回答 / 意見なし / 意見あり
    meeting: str  # 審議が必要 / 審議は不要 / ""
    opinion: str
    submitted_at: dt.datetime | None
    channel: str
    version: int | None


def export_rows(circulation: Circulation) -> list[ExportRow]:
    opened = Subquery(
        MaterialOpening.objects.filter(
            user_id=OuterRef("user_id"),
            material__circulation_id=circulation.pk,
            material__is_current=True,
        )
        .order_by()
        .values("user_id")
        .annotate(count=Count("material_id", distinct=True))
        .values("count")
    )
    recipients = (
        circulation.recipients.select_related("user", "current_reply")
        .annotate(materials_opened=opened)
        .order_by(*Recipient._meta.ordering)
    )
    materials = circulation.materials.filter(is_current=True).count()
    rows = []
    for recipient in recipients:
        reply = recipient.current_reply
        rows.append(
            ExportRow(
                name=recipient.user.full_name,
                role=recipient.get_role_display(),
                email=recipient.user.email,
                first_opened_at=recipient.first_opened_at,
                materials_opened=recipient.materials_opened or 0,
                materials=materials,
                answer=reply.get_kind_display() if reply else _("未回答"),
                meeting=meeting_label(reply),
                opinion=reply.opinion if reply else "",
                submitted_at=reply.submitted_at if reply else None,
                channel=reply.get_channel_display() if reply else "",
                version=reply.version if reply else None,
            )
        )
    return rows
