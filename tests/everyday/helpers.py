"""Building the work that waits for people: held and failed mail, a meeting's minutes
uploaded but not published, an implementing body's staff."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools

import time_machine
from django.utils import timezone

from circulation.models import Circulation, InboundMessage, OutboxMessage, Question
from circulation.services.minutes import upload_minutes
from circulation.uploads.checks import check_upload
from portal.models import Committee, Role, User
from tests.circulation.files import upload
from tests.circulation.helpers import PDF_BYTES
from tests.conftest import Council
from tests.factories import MembershipFactory, UserFactory
from tests.meetings.helpers import convened_scene, schedule

_numbers = itertools.count(1)


def implementing_body_of(committee: Committee, email: str = "kimura@city.example.jp") -> User:
    person = UserFactory(email=email, full_name="木村 実施機関")
    MembershipFactory(user=person, committee=committee, role=Role.IMPLEMENTING_BODY)
    return person


def held_mail(committee: Committee, *, received_at: dt.datetime | None = None) -> InboundMessage:
    """A reply by mail that the matcher held for the committee's secretariat."""
    raw = f"Subject: Re: 書面照会 {next(_numbers)}\n\n意見なし\n".encode()
    return InboundMessage.objects.create(
        raw=raw,
        sha256=hashlib.sha256(raw).hexdigest(),
        size=len(raw),
        source="mta",
        received_at=received_at or timezone.now(),
        from_address="someone@example.jp",
        subject="Re: 書面照会",
        state=InboundMessage.State.HELD,
        reason=InboundMessage.Reason.WRONG_SENDER,
        committee=committee,
    )


def failed_mail(circulation: Circulation, to: User) -> OutboxMessage:
    return OutboxMessage.objects.create(
        purpose="circulation.notice",
        to_email=to.email,
        to_user=to,
        circulation=circulation,
        deadline_version=1,
        key=f"failed-{next(_numbers)}",
        subject="【書面照会】",
        body_text="…",
        state=OutboxMessage.State.FAILED,
        attempts=5,
        last_error="550 mailbox unavailable",
    )


def question(circulation: Circulation, by: User, text: str = "資料2の数値は確定値ですか。"):
    return Question.objects.create(circulation=circulation, asked_by=by, text=text)


def minutes_waiting(council: Council) -> Circulation:
    """A circulation decided 開催する whose meeting was held and whose minutes were uploaded
    but not published. The clock is back where it was afterwards."""
    scene = convened_scene(council)
    with time_machine.travel(scene.decided_at + dt.timedelta(hours=1), tick=False):
        schedule(council, scene)
    with time_machine.travel(scene.starts_at + dt.timedelta(hours=3), tick=False):
        pdf = check_upload(upload("会議録.pdf", PDF_BYTES, "application/pdf"))
        upload_minutes(scene.circulation.pk, by=council.secretariat, upload=pdf)
    return scene.circulation
