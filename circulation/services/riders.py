"""What became of the riders (付言) of an issued report: the implementing body records its
response (対応状況) with a date; a rider stays open until a response says 対応済み. Beat
reminds the implementing body of an open rider that has had no response for the council's
number of months (circulation/jobs/riders.py)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from circulation.models import Circulation, Rider, RiderResponse
from portal import audit
from portal.models import User
from portal.permissions_consultation import ConsultationAction, may_on_consultation

MAX_TEXT = 4000


class ResponseRefused(Exception):
    """The response cannot be recorded; `field` names the form field, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def record_rider_response(
    rider_id: int,
    *,
    by: User,
    text: str,
    responded_on: dt.date,
    done: bool,
    now: dt.datetime | None = None,
) -> RiderResponse:
    """対応状況を登録: the implementing body's staff of the consultation (or the secretariat)
    record where a rider stands, with the date of the response."""
    now = now or timezone.now()
    text = (text or "").strip()
    if not text:
        raise ResponseRefused(_("対応状況を入力してください。"), "text")
    if len(text) > MAX_TEXT:
        raise ResponseRefused(
            _("対応状況は%(limit)s文字以内で入力してください。") % {"limit": MAX_TEXT}, "text"
        )
    if responded_on > timezone.localdate(now):
        raise ResponseRefused(_("対応日は今日以前の日付にしてください。"), "responded_on")
    with transaction.atomic():
        rider = Rider.objects.select_for_update().select_related("consultation").get(pk=rider_id)
        circulation = Circulation.objects.select_related("committee").get(pk=rider.consultation_id)
        if not may_on_consultation(by, ConsultationAction.RESPOND_RIDER, circulation):
            raise ResponseRefused(
                _("対応状況を登録できるのは、答申の後の実施機関の担当者と事務局です。")
            )
        response = RiderResponse.objects.create(
            rider=rider,
            text=text,
            responded_on=responded_on,
            done=done,
            recorded_by=by,
            recorded_at=now,
        )
        audit.record(
            "consultation.rider.responded",
            actor=by,
            obj=circulation,
            data={
                "rider": rider.pk,
                "response": response.pk,
                "responded_on": responded_on.isoformat(),
                "done": done,
            },
        )
    return response
