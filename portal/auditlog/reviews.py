"""The periodic review of the audit log (ログ確認): the secretariat records that a period of a
committee's log was reviewed, with findings; a review is overdue when the last reviewed
period ended more than KAIRAN_AUDIT_REVIEW_INTERVAL_DAYS ago."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import audit
from portal.models import Committee, LogReview, User
from portal.permissions import Action, committees_of, may_on_committee


class ReviewInvalid(ValueError):
    """The review cannot be recorded as entered; the message says why, in Japanese."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ReviewStatus:
    committee: Committee
    last: LogReview | None
    reviewed_until: dt.date  # end of the last reviewed period (or the committee's start)
    due: dt.date
    overdue: bool

    @property
    def next_period_start(self) -> dt.date:
        return self.reviewed_until + dt.timedelta(days=1) if self.last else self.reviewed_until


def review_status(committee: Committee, today: dt.date | None = None) -> ReviewStatus:
    today = today or timezone.localdate()
    last = LogReview.objects.filter(committee=committee).order_by("-period_end").first()
    # A committee never reviewed counts from its creation: a new council is not overdue.
    reviewed_until = last.period_end if last else timezone.localdate(committee.created_at)
    due = reviewed_until + dt.timedelta(days=settings.KAIRAN_AUDIT_REVIEW_INTERVAL_DAYS)
    return ReviewStatus(committee, last, reviewed_until, due, overdue=today > due)


def overdue_committee_ids(user: User | AnonymousUser | None) -> set[int]:
    """Committees where the person may review the log and the review is overdue."""
    if user is None or not user.is_authenticated:
        return set()
    return {
        c.pk
        for c in committees_of(user)
        if may_on_committee(user, Action.REVIEW_AUDIT_LOG, c) and review_status(c).overdue
    }


def record_log_review(
    *,
    committee: Committee,
    reviewer: User,
    period_start: dt.date,
    period_end: dt.date,
    result: str,
    findings: str,
    now: dt.datetime | None = None,
) -> LogReview:
    """Record that the reviewer went through the committee's log for the period."""
    now = now or timezone.now()
    findings = findings.strip()
    if period_end < period_start:
        raise ReviewInvalid(_("終了日は開始日以降の日付にしてください。"), "period_end")
    if period_end > timezone.localdate(now):
        raise ReviewInvalid(_("まだ終わっていない日は確認済みにできません。"), "period_end")
    if result not in LogReview.Result.values:
        raise ReviewInvalid(_("確認の結果を選んでください。"), "result")
    if result == LogReview.Result.ISSUES and not findings:
        raise ReviewInvalid(_("要対応事項があるときは、所見を書いてください。"), "findings")
    with transaction.atomic():
        review = LogReview.objects.create(
            committee=committee,
            reviewer=reviewer,
            period_start=period_start,
            period_end=period_end,
            result=result,
            findings=findings,
            reviewed_at=now,
        )
        audit.record(
            "audit.review.recorded",
            actor=reviewer,
            obj=review,
            committee=committee,
            data={
                "period_start": period_start.isoformat(),
                "period_end": period_end.isoformat(),
                "result": result,
                "findings": findings[:2000],
            },
        )
    return review
