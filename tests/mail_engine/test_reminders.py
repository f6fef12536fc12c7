"""督促: members who have not replied get one reminder per offset (default 3 days and 1 day
before the deadline) and deadline version; never one whose moment was already past when the
circulation was sent or its deadline extended."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.core import mail

from circulation.jobs.due import run_due_work
from circulation.mail import delivery
from circulation.mail.reminders import REMINDER
from circulation.models import Circulation, DeadlineExtension, OutboxMessage, Reply
from circulation.services.replies import submit_reply
from tests.circulation.helpers import sent_circulation

T0 = dt.datetime(2026, 9, 1, 1, 0, tzinfo=dt.UTC)  # sent 9月1日(火) 10:00 JST
DEADLINE = dt.datetime(2026, 9, 10, 8, 0, tzinfo=dt.UTC)  # 9月10日(木) 17:00 JST
H = dt.timedelta(hours=1)


def run(moment: dt.datetime):
    with time_machine.travel(moment, tick=False):
        return run_due_work(now=moment)


def reminders() -> set[tuple[str, str, int]]:
    return set(
        OutboxMessage.objects.filter(purpose=REMINDER).values_list(
            "to_email", "key", "deadline_version"
        )
    )


def everyone(council) -> list[str]:
    people = [council.chair, council.acting_chair, *council.members]
    return sorted(p.email for p in people)


@pytest.fixture
def circulation(council, broker) -> Circulation:
    with time_machine.travel(T0, tick=False):
        return sent_circulation(council, deadline=DEADLINE)


def reply(council, circulation, user, moment):
    recipient = circulation.recipients.get(user=user)
    with time_machine.travel(moment, tick=False):
        submit_reply(recipient=recipient, kind=Reply.Kind.NO_OPINION, submitted_by=user)


def test_members_who_have_not_replied_get_the_3_day_and_the_1_day_reminder_once(
    council, circulation
):
    tanaka = council.members[0]
    reply(council, circulation, tanaka, T0 + 2 * H)

    assert run(DEADLINE - 72 * H - dt.timedelta(seconds=1)).reminders == 0
    report = run(DEADLINE - 72 * H)
    others = [e for e in everyone(council) if e != tanaka.email]
    assert report.reminders == 4
    assert reminders() == {(e, "72h", 1) for e in others}
    assert run(DEADLINE - 60 * H).reminders == 0  # once per offset

    takahashi = council.members[1]
    reply(council, circulation, takahashi, DEADLINE - 30 * H)
    assert run(DEADLINE - 24 * H + dt.timedelta(seconds=20)).reminders == 3
    later = {e for e in others if e != takahashi.email}
    assert reminders() == {(e, "72h", 1) for e in others} | {(e, "24h", 1) for e in later}
    assert run(DEADLINE - dt.timedelta(seconds=1)).reminders == 0


def test_the_reminder_mail_names_the_deadline_in_japan_time_with_the_weekday(council, circulation):
    run(DEADLINE - 72 * H)
    row = OutboxMessage.objects.get(purpose=REMINDER, to_email=council.members[2].email)
    assert "督促" in row.subject and "9月10日(木) 17:00" in row.subject
    assert "伊藤 委員 様" in row.body_text
    assert f"/c/{circulation.pk}/" in row.body_text
    assert "9月10日(木) 17:00" in row.body_html
    council.members[2].language = "en"
    council.members[2].save()
    OutboxMessage.objects.filter(purpose=REMINDER).delete()
    run(DEADLINE - 72 * H)
    row = OutboxMessage.objects.get(purpose=REMINDER, to_email=council.members[2].email)
    assert row.subject.startswith("[Reminder] ")
    assert "(reply by Thu 10 Sep 17:00 JST)" in row.subject
    assert "We have not yet received your reply" in row.body_text


def test_after_beat_was_down_a_member_gets_one_reminder_not_two(council, circulation):
    run(DEADLINE - 20 * H)  # both moments have passed: only the latest one counts
    assert reminders() == {(e, "24h", 1) for e in everyone(council)}
    run(DEADLINE - 10 * H)
    assert len(reminders()) == 5


def test_a_circulation_sent_two_days_before_the_deadline_skips_the_3_day_reminder(council, broker):
    sent = DEADLINE - 48 * H
    with time_machine.travel(sent, tick=False):
        sent_circulation(council, deadline=DEADLINE)
    assert run(sent + H).reminders == 0
    assert run(DEADLINE - 24 * H).reminders == 5
    assert {key for _, key, _ in reminders()} == {"24h"}


def test_no_reminder_after_the_deadline_or_for_a_closed_circulation(council, circulation):
    run(DEADLINE + dt.timedelta(seconds=settings.KAIRAN_REPLY_GRACE_SECONDS))  # closes
    circulation.refresh_from_db()
    assert circulation.state == Circulation.State.CLOSED
    assert reminders() == set()


def extend(circulation: Circulation, new_deadline: dt.datetime, at: dt.datetime, by) -> None:
    """What the extension service records (期限を延長): a new deadline version."""
    DeadlineExtension.objects.create(
        circulation=circulation,
        old_deadline=circulation.deadline,
        new_deadline=new_deadline,
        deadline_version=circulation.deadline_version + 1,
        reason="資料の差し替えのため",
        extended_by=by,
        extended_at=at,
    )
    Circulation.objects.filter(pk=circulation.pk).update(
        deadline=new_deadline, deadline_version=circulation.deadline_version + 1
    )
    circulation.refresh_from_db()


def test_an_extension_starts_new_reminders_once_but_none_for_moments_already_past(
    council, circulation
):
    run(DEADLINE - 72 * H)
    # Extended 2 hours before the old deadline to one day later: the new 3-day moment
    # (old deadline - 48 h) is already past, the new 1-day moment (the old deadline) is not.
    new_deadline = DEADLINE + 24 * H
    extend(circulation, new_deadline, DEADLINE - 2 * H, council.secretariat)
    assert run(DEADLINE - H).reminders == 0
    assert run(DEADLINE).reminders == 5  # the old deadline passes: no close, a 1-day reminder
    circulation.refresh_from_db()
    assert circulation.state == Circulation.State.OPEN
    assert {(key, version) for _, key, version in reminders()} == {("72h", 1), ("24h", 2)}
    assert run(DEADLINE + 5 * H).reminders == 0


def test_an_early_extension_repeats_both_reminders_for_the_new_deadline(council, circulation):
    run(DEADLINE - 72 * H)
    new_deadline = DEADLINE + 7 * 24 * H
    extend(circulation, new_deadline, DEADLINE - 70 * H, council.secretariat)
    run(new_deadline - 72 * H)
    run(new_deadline - 24 * H)
    keys = {(key, version) for _, key, version in reminders()}
    assert keys == {("72h", 1), ("72h", 2), ("24h", 2)}


def test_a_reminder_waiting_in_the_outbox_is_not_sent_to_a_member_who_replied_meanwhile(
    council, circulation
):
    run(DEADLINE - 72 * H)
    tanaka = council.members[0]
    row = OutboxMessage.objects.get(purpose=REMINDER, to_email=tanaka.email)
    reply(council, circulation, tanaka, DEADLINE - 71 * H)
    with time_machine.travel(DEADLINE - 71 * H, tick=False):
        assert delivery.deliver(row.pk) == delivery.CANCELLED
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.CANCELLED and "replied" in row.last_error
    assert [m.to for m in mail.outbox if "督促" in m.subject] == []


def test_committee_offsets_are_respected(council, circulation):
    council.committee.reminder_offsets_hours = [48, 2]
    council.committee.save()
    run(DEADLINE - 72 * H)
    assert reminders() == set()
    run(DEADLINE - 48 * H)
    run(DEADLINE - 2 * H)
    assert {key for _, key, _ in reminders()} == {"48h", "2h"}


def test_a_committee_without_offsets_sends_no_reminders(council, circulation):
    council.committee.reminder_offsets_hours = []
    council.committee.save()
    run(DEADLINE - 20 * H)
    assert reminders() == set()


def test_the_reminder_carries_working_one_click_links_and_the_personal_reply_address(
    council, circulation, client
):
    from circulation.models import Recipient

    ito = circulation.recipients.get(user=council.members[2])
    Recipient.objects.filter(pk=ito.pk).update(token_revoked_at=T0 + H)  # notice links revoked
    run(DEADLINE - 72 * H)
    row = OutboxMessage.objects.get(purpose=REMINDER, to_email=council.members[2].email)
    assert row.reply_to.startswith("reply+") and "@" in row.reply_to
    link = next(line.strip() for line in row.body_text.splitlines() if "/c/l/" in line)
    assert link in row.body_html
    with time_machine.travel(DEADLINE - 71 * H, tick=False):
        page = client.get(link.replace("http://127.0.0.1:8000", ""))
    assert page.status_code == 200
    assert "意見なし" in page.content.decode()


def test_a_reminder_waiting_in_the_outbox_is_not_sent_to_a_member_whose_term_ended_meanwhile(
    council, circulation
):
    """Queued on the last day of 田中's term, delivered the day after: he can no longer reply."""
    from portal.models import Membership
    from portal.services.membership import end_term

    queued_at = DEADLINE - 72 * H  # 7 September, 17:00 JST
    run(queued_at)
    tanaka = council.members[0]
    row = OutboxMessage.objects.get(purpose=REMINDER, to_email=tanaka.email)
    seat = Membership.objects.get(committee=council.committee, user=tanaka)
    with time_machine.travel(queued_at, tick=False):
        end_term(seat, council.secretariat, on=dt.date(2026, 9, 7))
    with time_machine.travel(DEADLINE - 48 * H, tick=False):  # 8 September
        assert delivery.deliver(row.pk) == delivery.CANCELLED
    row.refresh_from_db()
    assert row.state == OutboxMessage.State.CANCELLED and "no longer sits" in row.last_error
    takahashi = OutboxMessage.objects.get(purpose=REMINDER, to_email=council.members[1].email)
    with time_machine.travel(DEADLINE - 48 * H, tick=False):
        assert delivery.deliver(takahashi.pk) == delivery.SENT
