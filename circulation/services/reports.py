"""The report (答申) of a consultation, after its result: the secretariat or the decider edits
its riders (付言) and reasons (`edit_report`), the secretariat issues it (`issue_report`,
答申する) — dated, addressed to the head of the implementing body (the council's setting),
signed by the chair — and the implementing body's staff, the members and the secretariat
are told; the consultation is filed (完了). Both compare the report_version the page showed,
so an edit meanwhile is never issued unseen, and two issues are one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from circulation.mail.consultation import queue_report_issued
from circulation.models import Circulation, Consultation, ConsultationRules, Rider
from circulation.services.consultation_results import (
    MAX_TEXT,
    ResultInvalid,
    ResultRefused,
    checked_reasons,
    log_refusal,
    seats_of,
)
from portal import audit
from portal.models import Membership, Role, User
from portal.permissions_consultation import ConsultationAction, may_on_consultation


@dataclass(frozen=True)
class RiderEdit:
    """A change to the report's riders: an existing one (`rider_id`) kept with `text` or
    removed, or a new one (`rider_id` None)."""

    rider_id: int | None
    text: str
    remove: bool = False


class ReportConflict(Exception):
    """The report changed since the page was loaded (another editor)."""


def edit_report(
    circulation_id: int,
    *,
    by: User,
    version: int,
    reasons: str,
    riders: list[RiderEdit],
    now: dt.datetime | None = None,
) -> Consultation:
    """The secretariat or the decider edits the riders (付言) and the reasons before the
    report is issued."""
    now = now or timezone.now()
    reasons = checked_reasons(reasons)
    for edit in riders:
        if len(edit.text.strip()) > MAX_TEXT:
            raise ResultInvalid(
                _("付言は%(limit)s文字以内で入力してください。") % {"limit": MAX_TEXT}
            )
    with transaction.atomic():
        circulation = Circulation.objects.select_related("committee").get(pk=circulation_id)
        consultation = Consultation.objects.select_for_update().get(pk=circulation.pk)
        if not may_on_consultation(by, ConsultationAction.EDIT_REPORT, circulation):
            raise ResultRefused(
                _("答申を編集できるのは事務局と会長(または職務代理者)です。"), "not_allowed"
            )
        if not consultation.is_decided or consultation.is_issued:
            raise ResultRefused(
                _("答申を編集できるのは、結果が決まってから答申するまでの間です。"), "not_now"
            )
        if consultation.report_version != version:
            raise ReportConflict(_("答申は、この画面を開いた後に別の人が変更しました。"))
        existing = {rider.pk: rider for rider in consultation.riders.all()}
        changes = {"removed": 0, "changed": 0, "added": 0}
        top = max((rider.order for rider in existing.values()), default=0)
        for edit in riders:
            text = edit.text.strip()
            rider = existing.get(edit.rider_id) if edit.rider_id else None
            if edit.rider_id and rider is None:
                raise ResultInvalid(_("付言が見つかりません。ページを読み込み直してください。"))
            if rider is not None and (edit.remove or not text):
                rider.delete()  # not issued yet: the report's draft
                changes["removed"] += 1
            elif rider is not None and rider.text != text:
                rider.text = text
                rider.adopted_by, rider.adopted_at = by, now
                rider.save(update_fields=["text", "adopted_by", "adopted_at"])
                changes["changed"] += 1
            elif rider is None and text and not edit.remove:
                top += 1
                Rider.objects.create(
                    consultation=consultation,
                    order=top,
                    text=text,
                    adopted_by=by,
                    adopted_at=now,
                )
                changes["added"] += 1
        consultation.council_reasons = reasons
        consultation.report_version = F("report_version") + 1
        consultation.save(update_fields=["council_reasons", "report_version"])
        consultation.refresh_from_db(fields=["report_version"])
        audit.record("consultation.report.edited", actor=by, obj=circulation, data=changes)
    return consultation


def issue_report(
    circulation_id: int,
    *,
    by: User,
    report_date: dt.date,
    version: int,
    now: dt.datetime | None = None,
) -> Consultation:
    """答申する: the report is fixed as the page showed it (`version`), dated, addressed to
    the head of the implementing body (the council's setting) and signed by the chair; the
    consultation is filed (完了); the staff, the members and the secretariat are told."""
    now = now or timezone.now()
    circulation = Circulation.objects.select_related("committee").get(pk=circulation_id)
    if not may_on_consultation(by, ConsultationAction.ISSUE_REPORT, circulation):
        raise ResultRefused(_("答申するのは事務局です。"), "not_allowed")
    rules = ConsultationRules.rules_of(circulation.committee)
    with transaction.atomic():
        # Compare-and-swap: of two issues (or an edit meanwhile) exactly one wins.
        issued = Consultation.objects.filter(
            pk=circulation.pk,
            decided_at__isnull=False,
            issued_at__isnull=True,
            report_version=version,
        ).update(
            issued_at=now,
            issued_by=by,
            report_date=report_date,
            report_addressee=rules.report_addressee,
            report_chair=_chair_line(circulation, now),
        )
        if issued:
            Circulation.objects.filter(pk=circulation.pk, state=Circulation.State.DECIDED).update(
                state=Circulation.State.ARCHIVED, updated_at=now
            )
            consultation = Consultation.objects.get(pk=circulation.pk)
            audit.record(
                "consultation.report.issued",
                actor=by,
                obj=circulation,
                data={
                    "report_date": report_date.isoformat(),
                    "addressee": consultation.report_addressee,
                    "riders": consultation.riders.count(),
                },
            )
            for person in _report_readers(circulation, consultation, now):
                queue_report_issued(circulation, person)
            return consultation
    consultation = Consultation.objects.get(pk=circulation.pk)
    if consultation.is_issued:
        refusal = ResultRefused(_("この諮問はすでに答申しています。"), "issued")
    elif not consultation.is_decided:
        refusal = ResultRefused(_("結果が決まるまでは答申できません。"), "not_now")
    else:
        refusal = ResultRefused(
            _("答申は、この画面を開いた後に変更されています。内容を確認してください。"), "changed"
        )
    log_refusal(circulation, by, refusal)
    raise refusal


def _chair_line(circulation: Circulation, now: dt.datetime) -> str:
    """Who signs: the chair sitting on the day, else the acting chair (会長 山田 太郎)."""
    seats = {
        m.role: m
        for m in Membership.objects.on(timezone.localdate(now))
        .filter(committee=circulation.committee, role__in=(Role.CHAIR, Role.ACTING_CHAIR))
        .select_related("user")
    }
    seat = seats.get(Role.CHAIR) or seats.get(Role.ACTING_CHAIR)
    return f"{seat.get_role_display()} {seat.user.full_name}" if seat else ""


def _report_readers(
    circulation: Circulation, consultation: Consultation, now: dt.datetime
) -> list[User]:
    people: dict[int, User] = {user.pk: user for user in consultation.staff.all()}
    for recipient in circulation.recipients.select_related("user"):
        people.setdefault(recipient.user_id, recipient.user)
    for seat in seats_of(circulation, now, (Role.SECRETARIAT,)):
        people.setdefault(seat.user_id, seat.user)
    return [person for person in people.values() if person.is_active]
