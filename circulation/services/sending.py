"""Sending a draft: the circulation opens and every recipient gets the notice."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from circulation.mail.circulation import notice
from circulation.mail.consultation import consultation_notice
from circulation.mail.outbox import queue_mails
from circulation.models import Circulation
from portal import audit
from portal.models import SITTING_ROLES, Membership, User


class SendRefused(Exception):
    """The draft cannot be sent yet; the message says why, for the secretariat."""


def send_circulation(
    circulation_id: int,
    *,
    by: User,
    revision: int | None = None,
    now: dt.datetime | None = None,
) -> Circulation:
    """Open the draft and queue the notice to every recipient. `revision` is the draft's
    revision the secretariat previewed (the send button carries it); it is compared under
    the row lock, so an edit that commits while the send is handled stops it. (None: sent
    without a preview, by the demo loader and tests.)"""
    now = now or timezone.now()
    with transaction.atomic():
        circulation = (
            Circulation.objects.select_for_update(of=("self",))
            .select_related("committee")
            .get(pk=circulation_id)
        )
        _check_sendable(circulation, now, revision)
        circulation.state = Circulation.State.OPEN
        circulation.sent_at = now
        circulation.sent_by = by
        circulation.updated_at = now
        circulation.save(update_fields=["state", "sent_at", "sent_by", "updated_at"])
        recipients = list(circulation.recipients.select_related("user"))
        # One circulation, committee and list of materials for every notice, not a query
        # of each per recipient.
        materials = list(circulation.materials.filter(is_current=True))
        audit.record(
            "circulation.sent",
            actor=by,
            obj=circulation,
            data={"recipients": len(recipients), "deadline": circulation.deadline.isoformat()},
        )
        for recipient in recipients:
            recipient.circulation = circulation
        if circulation.is_consultation:  # the same send; the notice asks for votes per item
            items = list(circulation.consultation.items.all())
            queue_mails([consultation_notice(r, materials, items) for r in recipients])
        else:
            queue_mails([notice(recipient, materials) for recipient in recipients])
    return circulation


def _check_sendable(circulation: Circulation, now: dt.datetime, revision: int | None) -> None:
    if circulation.state != Circulation.State.DRAFT:
        raise SendRefused(_("この書面照会は送付済みです。"))
    if revision is not None and revision != circulation.revision:
        raise SendRefused(
            _("プレビューの後に内容が変更されました。もう一度確認してから送付してください。")
        )
    if circulation.deadline <= now:
        raise SendRefused(_("回答期限が過ぎています。期限を直してから送付してください。"))
    if circulation.is_consultation and not circulation.consultation.items.exists():
        raise SendRefused(_("議題がありません。議題を1つ以上登録してください。"))
    if not circulation.materials.filter(is_current=True).exists():
        raise SendRefused(_("資料がありません。資料を1つ以上添付してください。"))
    recipient_ids = set(circulation.recipients.values_list("user_id", flat=True))
    if not recipient_ids:
        raise SendRefused(_("送付先がありません。"))
    sitting = set(
        Membership.objects.on(timezone.localdate(now))
        .filter(committee=circulation.committee, role__in=SITTING_ROLES)
        .values_list("user_id", flat=True)
    )
    not_sitting = recipient_ids - sitting
    if not_sitting:
        names = "、".join(
            User.objects.filter(pk__in=not_sitting).values_list("full_name", flat=True)
        )
        raise SendRefused(_("送付先に任期外の人が含まれています: %(names)s") % {"names": names})
