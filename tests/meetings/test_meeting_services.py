"""Scheduling, changing and cancelling the meeting (会議), as the secretariat and everyone
who may not do it see it: each step is audited, each tells the invitees once, and every
refusal says why in words a person can act on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from circulation.mail.meeting import CANCELLED, CHANGED, INVITATION
from circulation.models import Circulation, Meeting
from circulation.services.decisions import archive_circulation
from circulation.services.meetings import (
    MeetingDetails,
    MeetingInvalid,
    MeetingRefused,
    cancel_meeting,
    change_meeting,
    schedule_meeting,
)
from portal.models import AuditEntry, Membership
from tests.circulation.helpers import sent_circulation
from tests.decision.helpers import JST
from tests.meetings.helpers import (
    INVITED,
    NOTE,
    PLACE,
    WEB_URL,
    addresses,
    details,
    schedule,
)

pytestmark = pytest.mark.django_db


def test_the_secretariat_schedules_the_meeting_and_everyone_concerned_is_invited(council, convened):
    meeting = schedule(council, convened)

    assert meeting.circulation == convened.circulation
    assert (meeting.starts_at, meeting.ends_at) == (convened.starts_at, convened.ends_at)
    assert (meeting.place, meeting.web_url, meeting.note) == (PLACE, WEB_URL, NOTE)
    assert meeting.state == Meeting.State.SCHEDULED
    assert (meeting.version, meeting.sequence) == (1, 0)
    # Stored in UTC: 14:00 in Japan is 05:00 UTC.
    stored = Meeting.objects.get(pk=meeting.pk).starts_at
    assert stored.utcoffset() == dt.timedelta(0) and stored.hour == 5
    # The 前日の案内 is due at 09:00 Japan time on the Wednesday before.
    assert meeting.reminder_at == (convened.starts_at - dt.timedelta(days=1)).replace(hour=9)
    assert addresses(INVITATION) == INVITED
    entry = AuditEntry.objects.get(action="meeting.scheduled")
    assert (entry.actor, entry.committee, entry.object_id) == (
        council.secretariat, council.committee, str(convened.circulation.pk),
    )  # fmt: skip
    assert entry.data["place"] == PLACE and entry.data["version"] == 1
    assert sorted(entry.data["invited"]) == INVITED
    # The circulation stays decided until the minutes are published.
    assert convened.reload().state == Circulation.State.DECIDED


def test_a_member_whose_term_ended_after_the_circulation_is_not_invited(council, convened):
    ito = council.members[2]
    Membership.objects.filter(user=ito, committee=council.committee).update(
        term_end=convened.decided_at.date() - dt.timedelta(days=1)
    )
    schedule(council, convened)
    assert "ito@example.jp" not in addresses(INVITATION)
    assert len(addresses(INVITATION)) == len(INVITED) - 1


def test_a_place_alone_or_a_web_meeting_alone_is_enough(council, convened):
    meeting = schedule(council, convened, web_url="")
    assert (meeting.place, meeting.web_url) == (PLACE, "")


def test_a_web_meeting_without_a_room(council, convened):
    meeting = schedule(council, convened, place="")
    assert (meeting.place, meeting.web_url) == ("", WEB_URL)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"place": "", "web_url": ""}, "place", "会場かウェブ会議のURLの、少なくとも一方"),
        ({"web_url": "javascript:alert(1)"}, "web_url", "https:// または http://"),
        ({"web_url": "ftp://meet.example.jp/"}, "web_url", "https:// または http://"),
        ({"web_url": "meet.example.jp/j/1"}, "web_url", "https:// または http://"),
        ({"place": "会" * 201}, "place", "200文字以内"),
        ({"note": "x" * 4001}, "note", "4000文字以内"),
    ],
)
def test_what_cannot_be_used_is_refused_by_field(council, convened, changes, field, message):
    with pytest.raises(MeetingInvalid) as refused:
        schedule(council, convened, **changes)
    assert refused.value.field == field
    assert message in str(refused.value.message)
    assert not Meeting.objects.exists()
    assert addresses(INVITATION) == []


def test_the_end_must_come_after_the_start(council, convened):
    with pytest.raises(MeetingInvalid, match="終了時刻は開始時刻より後") as refused:
        schedule(council, convened, ends_at=convened.starts_at)
    assert refused.value.field == "end_time"


def test_a_meeting_in_the_past_is_refused(council, convened):
    with pytest.raises(MeetingInvalid, match="現在より後") as refused:
        schedule(council, convened, starts_at=convened.decided_at - dt.timedelta(hours=1),
                 ends_at=convened.decided_at)  # fmt: skip
    assert refused.value.field == "date"


@pytest.mark.parametrize("who", ["chair", "acting_chair", "member", "outsider"])
def test_only_the_secretariat_schedules(council, convened, who):
    person = council.members[0] if who == "member" else getattr(council, who)
    with pytest.raises(MeetingRefused, match="事務局だけ") as refused:
        schedule_meeting(convened.circulation.pk, by=person, details=details(convened))
    assert refused.value.code == "not_secretariat"
    assert not Meeting.objects.exists()
    entry = AuditEntry.objects.get(action="meeting.refused")
    assert (entry.actor, entry.result, entry.data["reason"]) == (person, "refused",
                                                                 "not_secretariat")  # fmt: skip


def test_another_councils_secretariat_cannot_schedule(council, convened):
    with pytest.raises(MeetingRefused) as refused:
        schedule_meeting(convened.circulation.pk, by=council.other_secretariat,
                         details=details(convened))  # fmt: skip
    assert refused.value.code == "not_secretariat"


def test_a_circulation_decided_not_to_convene_gets_no_meeting(council, not_convened):
    with pytest.raises(MeetingRefused, match="「開催しない」と決定された") as refused:
        schedule(council, not_convened)
    assert refused.value.code == "not_convened"
    assert AuditEntry.objects.get(action="meeting.refused").data["reason"] == "not_convened"


def test_an_open_circulation_gets_no_meeting_yet(council):
    circulation = sent_circulation(council)
    later = circulation.deadline + dt.timedelta(days=7)
    when = MeetingDetails(starts_at=later, ends_at=later + dt.timedelta(hours=2), place=PLACE)
    with pytest.raises(MeetingRefused, match="「開催する」と決定した後") as refused:
        schedule_meeting(circulation.pk, by=council.secretariat, details=when)
    assert refused.value.code == "not_decided"
    assert not Meeting.objects.exists()


def test_an_archived_circulation_gets_no_meeting(council, convened):
    archive_circulation(convened.circulation.pk, by=council.secretariat)
    with pytest.raises(MeetingRefused, match="完了した書面照会") as refused:
        schedule(council, convened)
    assert refused.value.code == "archived"


def test_a_second_meeting_is_refused_and_one_per_circulation_is_a_database_rule(council, convened):
    meeting = schedule(council, convened)
    with pytest.raises(MeetingRefused, match="すでに設定されています") as refused:
        schedule(council, convened, place="別の会場")
    assert refused.value.code == "already_scheduled"
    assert Meeting.objects.count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(
            circulation=convened.circulation, committee=council.committee,
            starts_at=meeting.starts_at,
            ends_at=meeting.ends_at, place="x", reminder_at=meeting.reminder_at,
            scheduled_by=council.secretariat, updated_by=council.secretariat,
        )  # fmt: skip


def test_the_database_refuses_a_meeting_without_place_or_url_or_ending_before_it_starts(
    council, convened
):
    base = {
        "circulation": convened.circulation, "committee": council.committee,
        "starts_at": convened.starts_at,
        "ends_at": convened.ends_at, "reminder_at": convened.starts_at,
        "scheduled_by": council.secretariat, "updated_by": council.secretariat,
    }  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(**base)
    with pytest.raises(IntegrityError), transaction.atomic():
        Meeting.objects.create(**{**base, "place": "x", "ends_at": convened.starts_at})


# --- Changes --------------------------------------------------------------------------------


def test_a_change_tells_everyone_once_with_what_was_and_what_is(council, convened):
    meeting = schedule(council, convened)
    later = convened.starts_at + dt.timedelta(days=1)
    changed = change_meeting(
        convened.circulation.pk, by=council.secretariat, base_version=1,
        details=details(convened, starts_at=later, ends_at=later + dt.timedelta(hours=2),
                        place="市役所別館 2階 大会議室"),
        reason="会場の改修のため",
    )  # fmt: skip

    assert changed.pk == meeting.pk and changed.uid == meeting.uid
    assert (changed.version, changed.sequence) == (2, 1)
    assert changed.reminder_at == (later - dt.timedelta(days=1)).replace(hour=9)
    assert addresses(CHANGED) == INVITED
    assert addresses(INVITATION) == INVITED  # the invitation is not sent again
    entry = AuditEntry.objects.get(action="meeting.changed")
    assert entry.actor == council.secretariat
    assert entry.data["changed"] == ["starts_at", "ends_at", "place"]
    assert entry.data["before"]["place"] == PLACE
    assert entry.data["place"] == "市役所別館 2階 大会議室"
    assert entry.data["reason"] == "会場の改修のため"


def test_each_change_sends_one_new_notice_per_person(council, convened):
    schedule(council, convened)
    for version, place in ((1, "第2会議室"), (2, "第3会議室")):
        change_meeting(convened.circulation.pk, by=council.secretariat, base_version=version,
                       details=details(convened, place=place))  # fmt: skip
    assert sorted(mail.key for mail in mails_to("tanaka@example.jp", CHANGED)) == ["v2", "v3"]
    assert len(addresses(CHANGED)) == 2 * len(INVITED)


def mails_to(address: str, purpose: str):
    from circulation.models import OutboxMessage

    return OutboxMessage.objects.filter(to_email=address, purpose=purpose)


def test_a_change_that_changes_nothing_is_refused_and_tells_nobody(council, convened):
    schedule(council, convened)
    with pytest.raises(MeetingInvalid, match="変更された項目がありません"):
        change_meeting(convened.circulation.pk, by=council.secretariat, base_version=1,
                       details=details(convened))  # fmt: skip
    assert addresses(CHANGED) == []
    assert Meeting.objects.get().version == 1


def test_a_change_made_meanwhile_is_not_overwritten(council, convened):
    schedule(council, convened)
    change_meeting(convened.circulation.pk, by=council.secretariat, base_version=1,
                   details=details(convened, place="第2会議室"))  # fmt: skip
    with pytest.raises(MeetingRefused, match="別の人によって変更") as refused:
        change_meeting(convened.circulation.pk, by=council.secretariat, base_version=1,
                       details=details(convened, place="第3会議室"))  # fmt: skip
    assert refused.value.code == "conflict"
    assert Meeting.objects.get().place == "第2会議室"


def test_a_meeting_that_has_begun_can_be_neither_changed_nor_cancelled(
    council, convened, time_machine
):
    schedule(council, convened)
    time_machine.move_to(convened.starts_at, tick=False)
    with pytest.raises(MeetingRefused, match=r"開始時刻.*を過ぎた会議は変更できません") as refused:
        change_meeting(convened.circulation.pk, by=council.secretariat, base_version=1,
                       details=details(convened, starts_at=convened.starts_at
                                       + dt.timedelta(days=1), ends_at=convened.ends_at
                                       + dt.timedelta(days=1)))  # fmt: skip
    assert refused.value.code == "started"
    with pytest.raises(MeetingRefused, match="中止できません"):
        cancel_meeting(convened.circulation.pk, by=council.secretariat, reason="x",
                       base_version=1)  # fmt: skip
    assert Meeting.objects.get().state == Meeting.State.SCHEDULED


def test_a_member_cannot_change_or_cancel(council, convened):
    schedule(council, convened)
    tanaka = council.members[0]
    with pytest.raises(MeetingRefused) as refused:
        change_meeting(convened.circulation.pk, by=tanaka, base_version=1,
                       details=details(convened, place="自宅"))  # fmt: skip
    assert refused.value.code == "not_secretariat"
    with pytest.raises(MeetingRefused) as refused:
        cancel_meeting(convened.circulation.pk, by=tanaka, reason="欠席", base_version=1)
    assert refused.value.code == "not_secretariat"
    assert Meeting.objects.get().version == 1
    assert AuditEntry.objects.filter(action="meeting.refused", actor=tanaka).count() == 2


# --- Cancelling ---------------------------------------------------------------------------


def test_cancelling_needs_a_reason_and_tells_everyone(council, convened):
    schedule(council, convened)
    with pytest.raises(MeetingInvalid, match="中止の理由を入力") as refused:
        cancel_meeting(convened.circulation.pk, by=council.secretariat, reason="  ",
                       base_version=1)  # fmt: skip
    assert refused.value.field == "reason"

    meeting = cancel_meeting(convened.circulation.pk, by=council.secretariat,
                             reason="台風の接近のため", base_version=1)  # fmt: skip
    assert meeting.state == Meeting.State.CANCELLED
    assert (meeting.version, meeting.cancel_reason) == (2, "台風の接近のため")
    assert addresses(CANCELLED) == INVITED
    entry = AuditEntry.objects.get(action="meeting.cancelled")
    assert (entry.actor, entry.data["reason"]) == (council.secretariat, "台風の接近のため")
    with pytest.raises(MeetingRefused, match="中止されています") as refused:
        cancel_meeting(convened.circulation.pk, by=council.secretariat, reason="再度",
                       base_version=2)  # fmt: skip
    assert refused.value.code == "cancelled"
    assert len(addresses(CANCELLED)) == len(INVITED)


def test_a_cancelled_meeting_can_be_scheduled_again_in_the_same_row(council, convened):
    first = schedule(council, convened)
    cancel_meeting(convened.circulation.pk, by=council.secretariat, reason="台風",
                   base_version=1)  # fmt: skip
    later = convened.starts_at + dt.timedelta(days=7)
    again = schedule(council, convened, starts_at=later, ends_at=later + dt.timedelta(hours=2))
    assert (again.pk, again.uid) == (first.pk, first.uid)
    assert (again.state, again.version, again.cancel_reason) == (Meeting.State.SCHEDULED, 3, "")
    assert sorted(mail.key for mail in mails_to("tanaka@example.jp", INVITATION)) == ["v1", "v3"]
    scheduled = AuditEntry.objects.filter(action="meeting.scheduled").order_by("pk")
    assert [entry.data["scheduled_again"] for entry in scheduled] == [False, True]


def test_repeating_a_notice_of_the_same_version_sends_nothing_more(council, convened):
    """The outbox's unique key (recipient, purpose, circulation, version key) holds."""
    from circulation.mail.meeting import queue_meeting_notices

    meeting = schedule(council, convened)
    assert len(addresses(INVITATION)) == len(INVITED)
    queue_meeting_notices(meeting, INVITATION, now=convened.decided_at)
    assert len(addresses(INVITATION)) == len(INVITED)


def test_the_times_are_those_typed_in_japan(council, convened):
    starts = dt.datetime(convened.starts_at.year, convened.starts_at.month,
                         convened.starts_at.day, 9, 30, tzinfo=JST)  # fmt: skip
    meeting = schedule(council, convened, starts_at=starts, ends_at=starts + dt.timedelta(hours=1))
    assert meeting.starts_at.astimezone(dt.UTC).hour == 0  # 09:30 JST is 00:30 UTC
    assert meeting.starts_at.astimezone(dt.UTC).minute == 30
