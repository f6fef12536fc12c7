"""Minutes written in Kairan (会議録): the draft, its revisions, the attendees' check
(委員確認) and the chair's approval. Publishing is services/publication.py.

A draft starts filled in from what Kairan holds — for a session: its name, time, place (or
ウェブ会議), who attended and who did not, the agenda; for a written deliberation (書面開催):
the circulation, who replied, the decision or the consultation's results, and its Q&A. The
secretariat then writes the 審議結果 per item, the 質疑 with each speaker's role and free
text, and marks withheld passages (非公開部分) with their reason. Every save is a new
version; nothing is overwritten.

Refusals: `MinutesInvalid` (what was typed; the form shows it next to the field and keeps
the input) and `MinutesRefused` (the step is not possible now; logged as `minutes.refused`).
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from circulation.mail.minutes import queue_check_requests
from circulation.models import (
    Circulation,
    Decision,
    Meeting,
    Minutes,
    MinutesCheck,
    MinutesChecker,
    MinutesPart,
    MinutesVersion,
)
from circulation.reads.minutes import (
    MinutesContent,
    session_prefill,
    written_prefill,
)
from circulation.templatetags.kairan import format_jst
from portal import audit
from portal.models import SITTING_ROLES, Committee, Membership, Role, User
from portal.permissions import roles_on
from portal.permissions_records import RecordAction, may_on_minutes
from portal.services.errors import Refused

TEXT_MAX_LENGTH = 20000
REASON_MAX_LENGTH = 200


class MinutesInvalid(Refused):
    """What was typed cannot be used; `field` names the form field."""


class MinutesRefused(Refused):
    """The step is not possible now; `code` says why."""

    def __init__(self, message: str | Promise, code: str) -> None:
        super().__init__(message)
        self.code = code


def check_content(content: MinutesContent) -> None:
    """MinutesInvalid naming the field, or None. The form calls this too."""
    if not content.title.strip():
        raise MinutesInvalid(_("会議名を入力してください。"), "title")
    if not content.held.strip():
        raise MinutesInvalid(_("日時を入力してください。"), "held")
    if not content.place.strip():
        raise MinutesInvalid(_("場所を入力してください(ウェブ会議・書面開催も可)。"), "place")
    for number, part in enumerate(content.parts, start=1):
        if part.section not in MinutesPart.Section.values:
            raise MinutesInvalid(
                _("%(n)d番目の段落の区分を選んでください。") % {"n": number}, "parts"
            )
        if part.speaker not in MinutesPart.Speaker.values:
            raise MinutesInvalid(
                _("%(n)d番目の段落の発言者を選んでください。") % {"n": number}, "parts"
            )
        if len(part.text) > TEXT_MAX_LENGTH:
            raise MinutesInvalid(
                _("%(n)d番目の段落は%(max)d文字以内にしてください。")
                % {"n": number, "max": TEXT_MAX_LENGTH},
                "parts",
            )
        if part.withheld and not part.withheld_reason.strip():
            raise MinutesInvalid(
                _("%(n)d番目の段落は非公開です。非公開の理由を入力してください。") % {"n": number},
                "parts",
            )
        if len(part.withheld_reason) > REASON_MAX_LENGTH:
            raise MinutesInvalid(
                _("非公開の理由は%(max)d文字以内にしてください。") % {"max": REASON_MAX_LENGTH},
                "parts",
            )


def log_refusal(refusal: MinutesRefused, minutes: Minutes, by: User, step: str) -> MinutesRefused:
    """Write `minutes.refused` (after the transaction block, so it is kept); return it."""
    audit.record(
        "minutes.refused",
        actor=by,
        obj=minutes,
        committee=minutes.committee,
        result="refused",
        data={"step": step, "reason": refusal.code, "state": minutes.state},
    )
    return refusal


# --- Starting ---------------------------------------------------------------------------------


def start_session_minutes(meeting_id: int, *, by: User, now: dt.datetime | None = None) -> Minutes:
    """The first version of a session's minutes, filled in from the session."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().select_related("committee").get(pk=meeting_id)
        _must_be_secretariat_of(by, meeting.committee)
        if meeting.is_cancelled:
            raise MinutesRefused(_("中止された会議の会議録は作成できません。"), "cancelled")
        if not meeting.has_started(now):
            raise MinutesRefused(
                _("会議録は、会議の開始(%(start)s)の後に作成できます。")
                % {"start": format_jst(meeting.starts_at)},
                "not_started",
            )
        with translation.override("ja"):  # the record's words, whoever writes it
            content = session_prefill(meeting)
        minutes = _create(
            Minutes.Kind.SESSION, meeting.committee, by, now, content, meeting=meeting
        )
    return minutes


def start_written_record(
    circulation_id: int, *, by: User, now: dt.datetime | None = None
) -> Minutes:
    """The record of a written deliberation (書面開催): a circulation decided in Kairan."""
    now = now or timezone.now()
    with transaction.atomic():
        circulation = (
            Circulation.objects.select_for_update()
            .select_related("committee")
            .get(pk=circulation_id)
        )
        _must_be_secretariat_of(by, circulation.committee)
        decision = Decision.objects.filter(circulation=circulation).first()
        if decision is None or circulation.state not in (
            Circulation.State.DECIDED,
            Circulation.State.ARCHIVED,
        ):
            raise MinutesRefused(
                _("書面開催の記録は、結果が決まった書面照会・諮問について作成できます。"),
                "not_decided",
            )
        with translation.override("ja"):
            content = written_prefill(circulation, decision)
        minutes = _create(
            Minutes.Kind.WRITTEN, circulation.committee, by, now, content, circulation=circulation
        )
    return minutes


def _must_be_secretariat_of(by: User, committee: Committee) -> None:
    if Role.SECRETARIAT not in roles_on(by, committee):
        raise MinutesRefused(_("会議録を作成できるのは事務局だけです。"), "not_secretariat")


def _create(
    kind: str,
    committee: Committee,
    by: User,
    now: dt.datetime,
    content: MinutesContent,
    **of: object,
) -> Minutes:
    try:
        with transaction.atomic():  # a savepoint: the one-to-one key says "already there"
            minutes = Minutes.objects.create(
                kind=kind, committee=committee, created_by=by, created_at=now, **of
            )
    except IntegrityError:
        raise MinutesRefused(_("この会議録はすでに作成されています。"), "exists") from None
    version = _store_version(minutes, 1, content, by, now)
    audit.record(
        "minutes.created",
        actor=by,
        obj=minutes,
        committee=minutes.committee,
        data={"kind": kind, "version": version.number, **{k: v.pk for k, v in of.items()}},
    )
    return minutes


def _store_version(
    minutes: Minutes, number: int, content: MinutesContent, by: User, now: dt.datetime
) -> MinutesVersion:
    version = MinutesVersion.objects.create(
        minutes=minutes,
        number=number,
        title=content.title.strip(),
        held=content.held.strip(),
        place=content.place.strip(),
        attendees=content.attendees,
        absentees=content.absentees,
        agenda=content.agenda.strip(),
        observers=content.observers,
        note=content.note.strip()[:300],
        created_by=by,
        created_at=now,
    )
    MinutesPart.objects.bulk_create(
        MinutesPart(
            version=version,
            position=position,
            section=part.section,
            heading=part.heading.strip(),
            speaker=part.speaker,
            speaker_name=part.speaker_name.strip(),
            text=part.text.strip(),
            withheld=part.withheld,
            withheld_reason=part.withheld_reason.strip() if part.withheld else "",
        )
        for position, part in enumerate(content.parts, start=1)
    )
    return version


# --- Revising ---------------------------------------------------------------------------------


def locked_minutes(minutes_id: int) -> Minutes:
    return Minutes.objects.select_for_update().select_related("committee").get(pk=minutes_id)


def revise_minutes(
    minutes_id: int,
    *,
    by: User,
    content: MinutesContent,
    base_version: int,
    now: dt.datetime | None = None,
) -> MinutesVersion:
    """Save the text as a new version. `base_version` is the version the form showed: if
    somebody saved another meanwhile, refused (the form keeps what was typed). A revision
    after the chair's approval takes the approval back (it approved another text)."""
    now = now or timezone.now()
    check_content(content)
    with transaction.atomic():
        minutes = locked_minutes(minutes_id)
        refusal = None
        if not may_on_minutes(by, RecordAction.MANAGE, minutes):
            refusal = MinutesRefused(_("会議録を編集できるのは事務局だけです。"), "not_secretariat")
        elif minutes.latest_version != base_version:
            refusal = MinutesRefused(
                _("この画面を開いた後に、別の人が会議録を保存しています(第%(n)d版)。"
                  "最新の版を確認してから保存してください。") % {"n": minutes.latest_version},
                "conflict",
            )  # fmt: skip
        if refusal is None:
            version = _store_version(minutes, minutes.latest_version + 1, content, by, now)
            minutes.latest_version = version.number
            fields = ["latest_version"]
            if minutes.state == Minutes.State.APPROVED:
                minutes.state = Minutes.State.DRAFT
                fields.append("state")
            minutes.save(update_fields=fields)
            audit.record(
                "minutes.revised",
                actor=by,
                obj=minutes,
                committee=minutes.committee,
                data={
                    "version": version.number,
                    "withheld": sum(1 for p in content.parts if p.withheld),
                    "state": minutes.state,
                    "note": version.note,
                },
            )
    if refusal is not None:
        raise log_refusal(refusal, minutes, by, "revise")
    return version


# --- The attendees' check (委員確認) ----------------------------------------------------------


def send_for_check(
    minutes_id: int,
    *,
    by: User,
    deadline: dt.datetime,
    checker_ids: list[int],
    now: dt.datetime | None = None,
) -> list[User]:
    """Send the latest version to the attendees (`checker_ids`, chosen on the page from the
    session's attendance) with a deadline; each gets a mail with the link. Sending a revised
    version again asks everyone again, for that version."""
    now = now or timezone.now()
    if deadline <= now:
        raise MinutesInvalid(_("確認の期限は現在より後にしてください。"), "deadline")
    with transaction.atomic():
        minutes = locked_minutes(minutes_id)
        refusal = None
        if not may_on_minutes(by, RecordAction.MANAGE, minutes):
            refusal = MinutesRefused(
                _("委員確認を依頼できるのは事務局だけです。"), "not_secretariat"
            )
        elif minutes.state not in (Minutes.State.DRAFT, Minutes.State.CHECKING):
            refusal = MinutesRefused(_("公開・承認の後の会議録は、委員確認に回せません。"), "state")
        elif not checker_ids and not minutes.checkers.exists():
            raise MinutesInvalid(_("確認を依頼する出席者を選んでください。"), "checkers")
        if refusal is None:
            people = _add_checkers(minutes, checker_ids, now)
            minutes.state = Minutes.State.CHECKING
            minutes.check_version = minutes.latest_version
            minutes.check_deadline = deadline
            minutes.save(update_fields=["state", "check_version", "check_deadline"])
            queue_check_requests(minutes, people, now)
            audit.record(
                "minutes.check.requested",
                actor=by,
                obj=minutes,
                committee=minutes.committee,
                data={
                    "version": minutes.check_version,
                    "deadline": deadline.isoformat(),
                    "told": [p.email for p in people],
                },
            )
    if refusal is not None:
        raise log_refusal(refusal, minutes, by, "send_for_check")
    return people


def _add_checkers(minutes: Minutes, checker_ids: list[int], now: dt.datetime) -> list[User]:
    # Only people who sit on the council today are asked (an attendee list may name others).
    sitting = set(
        Membership.objects.on(timezone.localdate(now))
        .filter(committee=minutes.committee, role__in=SITTING_ROLES, user_id__in=checker_ids)
        .values_list("user_id", flat=True)
    )
    MinutesChecker.objects.bulk_create(
        [MinutesChecker(minutes=minutes, user_id=pk, added_at=now) for pk in sorted(sitting)],
        ignore_conflicts=True,
    )
    return list(
        User.objects.filter(pk__in=minutes.checkers.values("user_id"), is_active=True).order_by(
            "full_name", "pk"
        )
    )


def check_minutes(
    minutes_id: int,
    *,
    by: User,
    version: int,
    approved: bool,
    comment: str = "",
    now: dt.datetime | None = None,
) -> MinutesCheck:
    """An attendee approves the version under check (確認しました) or comments on it."""
    now = now or timezone.now()
    comment = comment.strip()
    if not approved and not comment:
        raise MinutesInvalid(_("意見を入力してください。"), "comment")
    if len(comment) > TEXT_MAX_LENGTH:
        raise MinutesInvalid(_("意見が長すぎます。"), "comment")
    with transaction.atomic():
        minutes = locked_minutes(minutes_id)
        refusal = None
        if not may_on_minutes(by, RecordAction.CHECK, minutes):
            refusal = MinutesRefused(_("この会議録の確認は受け付けていません。"), "not_checking")
        elif minutes.check_deadline and now > minutes.check_deadline:
            refusal = MinutesRefused(
                _("確認の期限(%(deadline)s)を過ぎています。ご意見は事務局にお伝えください。")
                % {"deadline": format_jst(minutes.check_deadline)},
                "late",
            )
        elif version != minutes.check_version:
            refusal = MinutesRefused(
                _("会議録が改訂されました(第%(n)d版)。新しい版を確認してください。")
                % {"n": minutes.check_version},
                "conflict",
            )
        if refusal is None:
            check = MinutesCheck.objects.create(
                minutes=minutes, version=version, user=by, approved=approved, comment=comment,
                at=now,
            )  # fmt: skip
            audit.record(
                "minutes.check.answered",
                actor=by,
                obj=minutes,
                committee=minutes.committee,
                data={"version": version, "approved": approved, "comment": bool(comment)},
            )
    if refusal is not None:
        raise log_refusal(refusal, minutes, by, "check")
    return check


def approve_minutes(
    minutes_id: int, *, by: User, version: int, now: dt.datetime | None = None
) -> Minutes:
    """The chair (or the acting chair deciding for the council) approves the version the
    page showed, after the attendees' check."""
    now = now or timezone.now()
    with transaction.atomic():
        minutes = locked_minutes(minutes_id)
        refusal = None
        if not may_on_minutes(by, RecordAction.APPROVE, minutes):
            refusal = MinutesRefused(_("会議録を承認できるのは会長です。"), "not_chair")
        elif minutes.state != Minutes.State.CHECKING:
            refusal = MinutesRefused(_("委員確認に回された会議録だけを承認できます。"), "state")
        elif version != minutes.latest_version:
            refusal = MinutesRefused(
                _(
                    "この画面を開いた後に、会議録が改訂されています(第%(n)d版)。確認してから承認してください。"
                )
                % {"n": minutes.latest_version},
                "conflict",
            )
        if refusal is None:
            minutes.state = Minutes.State.APPROVED
            minutes.approved_version = version
            minutes.approved_by = by
            minutes.approved_at = now
            minutes.save(update_fields=["state", "approved_version", "approved_by", "approved_at"])
            audit.record(
                "minutes.approved",
                actor=by,
                obj=minutes,
                committee=minutes.committee,
                data={"version": version},
            )
    if refusal is not None:
        raise log_refusal(refusal, minutes, by, "approve")
    return minutes
