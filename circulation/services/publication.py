"""The public life of a record (公開記録): publish (公開する), correct (訂正: a newer version
is shown, with 更新日) and withdraw (公開を取り下げる). Each is asked by the secretariat and,
where the council's settings say so (`RecordSettings.chair_confirms`), waits for the
confirmation of the person who decides for the council (the chair, or the acting chair);
each asked, confirmed, declined and done step is a `Publication` row and an audit entry.

The council's settings (names shown or 「委員」, the chair's confirmation, 担当所属名) and the
static export are here too.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from circulation.mail.minutes import queue_confirmation_requests
from circulation.models import Meeting, Minutes, Publication, RecordSettings
from circulation.reads.public_export import export_zip
from circulation.services.decisions import ArchiveRefused, archive_circulation
from circulation.services.minutes_drafts import (
    MinutesInvalid,
    MinutesRefused,
    locked_minutes,
    log_refusal,
)
from portal import audit
from portal.models import Committee, Membership, Role, User
from portal.permissions import acting_decider_role, roles_on
from portal.permissions_records import RecordAction, may_on_minutes

REASON_MAX_LENGTH = 300
A = Publication.Action


def _reason(reason: str, required: bool) -> str:
    reason = " ".join(reason.split())
    if required and not reason:
        raise MinutesInvalid(_("理由を入力してください。"), "reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise MinutesInvalid(
            _("理由は%(max)d文字以内で入力してください。") % {"max": REASON_MAX_LENGTH}, "reason"
        )
    return reason


def request_publication(
    minutes_id: int, *, by: User, version: int, now: dt.datetime | None = None
) -> Publication:
    """公開する: the version the page showed. A session's minutes must have been approved by
    the chair (that version); a written deliberation's record needs no check."""
    return _request(minutes_id, A.PUBLISH, by=by, version=version, reason="", now=now)


def request_correction(
    minutes_id: int, *, by: User, version: int, reason: str, now: dt.datetime | None = None
) -> Publication:
    """訂正: show a newer version of a published record; the page says 更新日 and why."""
    reason = _reason(reason, required=True)
    return _request(minutes_id, A.CORRECT, by=by, version=version, reason=reason, now=now)


def request_withdrawal(
    minutes_id: int, *, by: User, reason: str, now: dt.datetime | None = None
) -> Publication:
    """公開を取り下げる: the record is no longer public (its page answers 404)."""
    reason = _reason(reason, required=True)
    return _request(minutes_id, A.WITHDRAW, by=by, version=None, reason=reason, now=now)


def _refusal_for(minutes: Minutes, action: str, version: int | None) -> MinutesRefused | None:
    S = Minutes.State
    if minutes.publications.filter(state=Publication.State.PENDING).exists():
        return MinutesRefused(_("会長の確認を待っている手続があります。"), "pending")
    if version is not None and version != minutes.latest_version:
        return MinutesRefused(
            _(
                "この画面を開いた後に、会議録が改訂されています(第%(n)d版)。確認してからやり直してください。"
            )
            % {"n": minutes.latest_version},
            "conflict",
        )
    if action == A.PUBLISH:
        if minutes.state in (S.PUBLISHED,):
            return MinutesRefused(_("この記録はすでに公開されています。"), "published")
        if (
            minutes.kind == Minutes.Kind.SESSION
            and minutes.state != S.WITHDRAWN
            and (minutes.state != S.APPROVED or minutes.approved_version != version)
        ):
            return MinutesRefused(
                _("会議録は、委員確認の後に会長が承認した版を公開できます。"), "not_approved"
            )
    elif action == A.CORRECT:
        if minutes.state != S.PUBLISHED:
            return MinutesRefused(_("公開中の記録だけを訂正できます。"), "not_published")
        if version == minutes.published_version:
            return MinutesRefused(
                _("公開中の版と同じです。先に会議録を修正して新しい版を作ってください。"),
                "same_version",
            )
    elif minutes.state != S.PUBLISHED:
        return MinutesRefused(_("公開中の記録だけを取り下げられます。"), "not_published")
    return None


def _request(
    minutes_id: int,
    action: str,
    *,
    by: User,
    version: int | None,
    reason: str,
    now: dt.datetime | None,
) -> Publication:
    now = now or timezone.now()
    with transaction.atomic():
        minutes = locked_minutes(minutes_id)
        refusal = None
        if not may_on_minutes(by, RecordAction.MANAGE, minutes):
            refusal = MinutesRefused(_("公開の手続は事務局が行います。"), "not_secretariat")
        else:
            refusal = _refusal_for(minutes, action, version)
        if refusal is None:
            confirms = RecordSettings.settings_of(minutes.committee).chair_confirms
            publication = Publication.objects.create(
                minutes=minutes, action=action, version=version, reason=reason,
                state=Publication.State.PENDING if confirms else Publication.State.DONE,
                requested_by=by, requested_at=now,
            )  # fmt: skip
            audit.record(
                "record.requested",
                actor=by,
                obj=minutes,
                committee=minutes.committee,
                data={"action": action, "version": version, "reason": reason,
                      "chair_confirms": confirms, "publication": publication.pk},
            )  # fmt: skip
            if confirms:
                queue_confirmation_requests(publication, deciders(minutes.committee, now))
            else:
                _apply(minutes, publication, by, now)
    if refusal is not None:
        raise log_refusal(refusal, minutes, by, f"request_{action}")
    return publication


def deciders(committee: Committee, now: dt.datetime) -> list[User]:
    """Who confirms today: the holders of the deciding seat (the chair, or the acting chair)."""
    role = acting_decider_role(committee, timezone.localdate(now))
    seats = Membership.objects.on(timezone.localdate(now)).filter(
        committee=committee, role=role, user__is_active=True
    )
    return [seat.user for seat in seats.select_related("user")]


def confirm_publication(
    publication_id: int, *, by: User, accept: bool, now: dt.datetime | None = None
) -> Publication:
    """The chair confirms (or declines) the step the secretariat asked."""
    now = now or timezone.now()
    with transaction.atomic():
        publication = Publication.objects.select_related("minutes").get(pk=publication_id)
        minutes = locked_minutes(publication.minutes_id)
        publication = Publication.objects.select_for_update().get(pk=publication_id)
        refusal = None
        if not may_on_minutes(by, RecordAction.APPROVE, minutes):
            refusal = MinutesRefused(_("公開の確認は会長が行います。"), "not_chair")
        elif publication.state != Publication.State.PENDING:
            refusal = MinutesRefused(_("この手続はすでに確認されています。"), "done")
        if refusal is None:
            publication.state = Publication.State.DONE if accept else Publication.State.DECLINED
            publication.confirmed_by = by
            publication.confirmed_at = now
            publication.save(update_fields=["state", "confirmed_by", "confirmed_at"])
            audit.record(
                "record.confirmed" if accept else "record.declined",
                actor=by,
                obj=minutes,
                committee=minutes.committee,
                data={"action": publication.action, "version": publication.version,
                      "publication": publication.pk},
            )  # fmt: skip
            if accept:
                _apply(minutes, publication, by, now)
    if refusal is not None:
        raise log_refusal(refusal, minutes, by, "confirm")
    return publication


def _apply(minutes: Minutes, publication: Publication, by: User, now: dt.datetime) -> None:
    S = Minutes.State
    if publication.action == A.WITHDRAW:
        minutes.state = S.WITHDRAWN
        minutes.save(update_fields=["state"])
        name = "record.withdrawn"
    else:
        again = minutes.first_published_at is not None
        minutes.state = S.PUBLISHED
        minutes.published_version = publication.version
        minutes.first_published_at = minutes.first_published_at or now
        if again:  # a correction, or published again after a withdrawal: 更新日
            minutes.updated_at = now
        minutes.save(
            update_fields=["state", "published_version", "first_published_at", "updated_at"]
        )
        name = "record.corrected" if publication.action == A.CORRECT else "record.published"
    archived = publication.action == A.PUBLISH and _file_circulation(minutes, publication, now)
    audit.record(
        name,
        actor=by,
        obj=minutes,
        committee=minutes.committee,
        data={"version": publication.version, "reason": publication.reason,
              "requested_by": publication.requested_by.email, "publication": publication.pk,
              "archived": archived},
    )  # fmt: skip


def _file_circulation(minutes: Minutes, publication: Publication, now: dt.datetime) -> bool:
    """Publishing the minutes of the meeting a circulation decided to convene files that
    circulation (完了), as publishing uploaded minutes does; by the secretariat who asked."""
    if minutes.meeting_id is None:
        return False
    circulation_id = (
        Meeting.objects.filter(pk=minutes.meeting_id).values_list("circulation_id", flat=True).get()
    )
    if circulation_id is None:
        return False
    try:
        archive_circulation(circulation_id, by=publication.requested_by, now=now)
    except ArchiveRefused:  # filed already, or not decided: nothing to do
        return False
    return True


# --- The council's settings and the export ---------------------------------------------------


def update_record_settings(
    committee: Committee, *, by: User, public_names: bool, chair_confirms: bool, department: str
) -> RecordSettings:
    if Role.SECRETARIAT not in roles_on(by, committee):
        raise MinutesRefused(_("公開記録の設定は事務局が変更します。"), "not_secretariat")
    department = " ".join(department.split())
    if len(department) > 100:
        raise MinutesInvalid(_("担当所属名は100文字以内で入力してください。"), "department")
    with transaction.atomic():
        settings, _created = RecordSettings.objects.select_for_update().get_or_create(
            committee=committee
        )
        before = {"public_names": settings.public_names, "chair_confirms": settings.chair_confirms,
                  "department": settings.department}  # fmt: skip
        settings.public_names = public_names
        settings.chair_confirms = chair_confirms
        settings.department = department
        settings.save()
        audit.record(
            "record.settings.changed",
            actor=by,
            obj=committee,
            committee=committee,
            data={"before": before, "after": {"public_names": public_names,
                  "chair_confirms": chair_confirms, "department": department}},
        )  # fmt: skip
    return settings


def export_records(committee: Committee, *, by: User) -> bytes:
    """The council's published records as one zip of HTML pages and one stylesheet."""
    if Role.SECRETARIAT not in roles_on(by, committee):
        raise MinutesRefused(_("書き出しは事務局が行います。"), "not_secretariat")
    data, count = export_zip(committee)
    audit.record(
        "record.exported", actor=by, obj=committee, committee=committee,
        data={"records": count, "bytes": len(data)},
    )  # fmt: skip
    return data
