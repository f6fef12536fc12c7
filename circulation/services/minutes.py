"""The minutes (会議録) of a meeting: the secretariat uploads them after the meeting has
begun, may upload a better version until it publishes them (公開する), and publishing tells
every invitee and files the circulation (完了) through the archive service.

Uploads are checked by content like materials (circulation/uploads/checks.py) before they reach
here; a refused file or a refusal here never loses an accepted file (the form keeps it).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from circulation.mail.meeting import queue_minutes_published
from circulation.models import Circulation, Meeting, MeetingMinutes
from circulation.services.decisions import ArchiveRefused, archive_circulation
from circulation.services.meetings import (
    MeetingInvalid,
    MeetingRefused,
    locked_meeting,
    log_refusal,
)
from circulation.templatetags.kairan import format_jst
from circulation.uploads.checks import CheckedUpload
from circulation.uploads.stash import save_checked
from portal import audit
from portal.models import User
from portal.permissions import Action, may_on_circulation

TITLE_MAX_LENGTH = 200


def minutes_refusal(meeting: Meeting, by: User, now: dt.datetime) -> MeetingRefused | None:
    """Why `by` cannot upload or publish the meeting's minutes now, or None."""
    if not may_on_circulation(by, Action.MANAGE_MEETING, meeting.circulation):
        return MeetingRefused(_("会議録を登録・公開できるのは事務局だけです。"), "not_secretariat")
    if meeting.is_cancelled:
        return MeetingRefused(_("中止された会議の会議録は登録できません。"), "cancelled")
    if not meeting.has_started(now):
        return MeetingRefused(
            _("会議録は、会議の開始(%(start)s)の後に登録できます。")
            % {"start": format_jst(meeting.starts_at)},
            "not_started",
        )
    if meeting.published_minutes_id is not None:
        return MeetingRefused(_("会議録はすでに公開されています。"), "published")
    return None


def upload_minutes(
    circulation_id: int,
    *,
    by: User,
    upload: CheckedUpload,
    title: str = "",
    now: dt.datetime | None = None,
) -> MeetingMinutes:
    """Store an accepted file as the next version of the minutes (not yet published)."""
    now = now or timezone.now()
    title = " ".join(title.split()) or _("会議録")
    if len(title) > TITLE_MAX_LENGTH:
        raise MeetingInvalid(
            _("会議録の名称は%(max)d文字以内で入力してください。") % {"max": TITLE_MAX_LENGTH},
            "title",
        )
    with transaction.atomic():
        meeting = locked_meeting(circulation_id)
        refusal = minutes_refusal(meeting, by, now)
        if refusal is None:
            minutes = _store(meeting, upload, title, by, now)
            audit.record(
                "meeting.minutes.uploaded",
                actor=by,
                obj=minutes,
                committee=meeting.committee,
                data={
                    "circulation": circulation_id,
                    "meeting": meeting.pk,
                    "version": minutes.version,
                    "title": minutes.title,
                    "name": minutes.original_name,
                    "size": minutes.size,
                    "sha256": minutes.sha256,
                },
            )
    if refusal is not None:
        raise log_refusal(refusal, meeting.circulation, by, "upload_minutes")
    return minutes


def _store(
    meeting: Meeting, upload: CheckedUpload, title: str, by: User, now: dt.datetime
) -> MeetingMinutes:
    latest = meeting.minutes_versions.aggregate(latest=Max("version"))["latest"] or 0
    minutes = MeetingMinutes(
        meeting=meeting, version=latest + 1, title=title, uploaded_by=by, uploaded_at=now
    )
    return save_checked(minutes, upload)


def publish_minutes(
    circulation_id: int, *, by: User, minutes_id: int, now: dt.datetime | None = None
) -> MeetingMinutes:
    """Publish the version of the minutes the secretariat looked at (`minutes_id`): every
    invitee gets a mail with the link, members see it on the circulation's pages and in
    the decision record, and a circulation still 決定済み is filed (完了)."""
    now = now or timezone.now()
    with transaction.atomic():
        meeting = locked_meeting(circulation_id)
        refusal = minutes_refusal(meeting, by, now)
        if refusal is None:
            latest = meeting.minutes_versions.order_by("-version").first()
            if latest is None:
                raise MeetingInvalid(_("公開する会議録が登録されていません。"), None)
            if latest.pk != minutes_id:
                refusal = MeetingRefused(
                    _(
                        "この画面を開いた後に、新しい会議録が登録されています。確認してから公開してください。"
                    ),
                    "conflict",
                )
        if refusal is None:
            _publish(meeting, latest, by, now)
    if refusal is not None:
        raise log_refusal(refusal, meeting.circulation, by, "publish_minutes")
    return latest


def _publish(meeting: Meeting, minutes: MeetingMinutes, by: User, now: dt.datetime) -> None:
    # Compare-and-swap besides the lock: published once, whatever happens.
    won = Meeting.objects.filter(pk=meeting.pk, published_minutes__isnull=True).update(
        published_minutes=minutes, minutes_published_at=now, minutes_published_by=by
    )
    if not won:
        raise MeetingRefused(_("会議録はすでに公開されています。"), "published")
    meeting.published_minutes = minutes
    meeting.minutes_published_at = now
    meeting.minutes_published_by = by
    circulation = meeting.circulation
    told = queue_minutes_published(meeting, minutes, now)
    archived = False
    if circulation.state == Circulation.State.DECIDED:
        try:
            archive_circulation(circulation.pk, by=by, now=now)
            archived = True
        except ArchiveRefused:  # archived by hand meanwhile: nothing left to do
            pass
    audit.record(
        "meeting.minutes.published",
        actor=by,
        obj=minutes,
        committee=circulation.committee,
        data={
            "circulation": circulation.pk,
            "meeting": meeting.pk,
            "version": minutes.version,
            "archived": archived,
            "told": [person.email for person in told],
        },
    )
    if archived:
        circulation.state = Circulation.State.ARCHIVED


def record_minutes_download(minutes: MeetingMinutes, *, user: User) -> None:
    """Opening the minutes is logged like opening a material."""
    meeting = minutes.meeting
    audit.record(
        "meeting.minutes.downloaded",
        actor=user,
        obj=minutes,
        committee=meeting.committee,
        data={
            "circulation": meeting.circulation_id,
            "version": minutes.version,
            "published": meeting.published_minutes_id == minutes.pk,
        },
    )
