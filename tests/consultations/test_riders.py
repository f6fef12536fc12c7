"""What became of the riders (付言): the implementing body records its response (対応状況)
with a date; open riders are listed for the council (`open_riders`, for the session's agenda
and the secretariat's to-do); beat reminds the body of a rider without a response for the
council's number of months, once per period, and never of one that is 対応済み."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from circulation.jobs.due import run_due_work
from circulation.jobs.riders import months_before
from circulation.models import Consultation, OutboxMessage, Rider
from circulation.reads.consultations import open_riders
from circulation.services.consultation_results import (
    RiderDraft,
    record_meeting_result,
)
from circulation.services.consultations import update_consultation_rules
from circulation.services.reports import issue_report
from circulation.services.riders import ResponseRefused, record_rider_response
from tests.consultations import helpers as h

pytestmark = pytest.mark.django_db
RIDER = "定期的に操作記録を確認すること。"


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def issued_with_rider(council, staff, *, number: int = 65) -> Rider:
    circulation = h.register(council, staff=staff, number=number, items=["クラウドの利用"])
    item = h.items_of(circulation)[0]
    record_meeting_result(
        circulation.pk, by=council.secretariat, results={item.pk: "approved"},
        riders=[RiderDraft(RIDER)], reasons="公益上の必要性があるため。",
    )  # fmt: skip
    issue_report(
        circulation.pk, by=council.secretariat, report_date=dt.date.today(),
        version=Consultation.objects.get(pk=circulation.pk).report_version,
    )  # fmt: skip
    return Rider.objects.get(consultation_id=circulation.pk)


def test_months_are_counted_on_the_calendar():
    moment = dt.datetime(2027, 3, 31, 9, 0, tzinfo=dt.UTC)
    assert months_before(moment, 1) == dt.datetime(2027, 2, 28, 9, 0, tzinfo=dt.UTC)
    assert months_before(moment, 6) == dt.datetime(2026, 9, 30, 9, 0, tzinfo=dt.UTC)
    assert months_before(moment, 15) == dt.datetime(2025, 12, 31, 9, 0, tzinfo=dt.UTC)


def test_open_riders_are_listed_until_the_body_records_them_done(client, council, body):
    rider = issued_with_rider(council, [body])
    assert [entry.rider for entry in open_riders(council.committee)] == [rider]
    client.force_login(council.members[0])
    page = text(client.get(reverse("committee_riders", args=[council.committee.pk])))
    assert RIDER in page and "対応状況の登録なし" in page
    record_rider_response(
        rider.pk, by=body, text="作業履歴の提出を求める契約にしました。",
        responded_on=dt.date.today(), done=False,
    )  # fmt: skip
    [entry] = open_riders(council.committee)
    assert entry.latest.text == "作業履歴の提出を求める契約にしました。"
    record_rider_response(
        rider.pk, by=body, text="毎月確認しています。", responded_on=dt.date.today(), done=True
    )
    assert open_riders(council.committee) == []


def test_only_the_consultations_staff_and_the_secretariat_record_a_response(
    client, council, body, other_body
):
    rider = issued_with_rider(council, [body])
    with pytest.raises(ResponseRefused):
        record_rider_response(
            rider.pk, by=council.members[0], text="x", responded_on=dt.date.today(), done=True
        )
    client.force_login(other_body)  # staff of another consultation: it does not exist
    url = reverse("rider_respond", args=[rider.consultation_id, rider.pk])
    assert client.get(url).status_code == 404
    client.force_login(body)
    response = client.post(url, {"text": "", "responded_on": "2999-01-01"})
    assert response.status_code == 400  # both mistakes named, tied to their fields
    page = text(response)
    assert (
        "対応状況を入力してください。" in page and "対応日は今日以前の日付にしてください。" in page
    )
    assert 'aria-invalid="true"' in page
    assert not rider.responses.exists()


def test_beat_reminds_the_body_of_a_rider_without_response_once_per_period(
    council, body, time_machine
):
    update_consultation_rules(council.committee, by=council.secretariat, rider_reminder_months=3)
    rider = issued_with_rider(council, [body])
    issued = rider.consultation.issued_at
    reminders = OutboxMessage.objects.filter(purpose="consultation.rider_reminder")
    time_machine.move_to(issued + dt.timedelta(days=80))
    run_due_work()
    assert not reminders.exists()  # not three months yet
    time_machine.move_to(issued + dt.timedelta(days=95))
    assert run_due_work().rider_reminders == [rider.pk]
    assert set(reminders.values_list("to_user", flat=True)) == {body.pk, council.secretariat.pk}
    mail = reminders.get(to_user=body)
    assert RIDER in mail.body_text and "3か月以上" in mail.body_text
    run_due_work()  # the next tick: nothing more
    assert reminders.count() == 2
    # A response (not yet done) starts the period again; 対応済み ends the reminders.
    time_machine.move_to(issued + dt.timedelta(days=120))
    record_rider_response(rider.pk, by=body, text="検討中です。", responded_on=dt.date.today(),
                          done=False)  # fmt: skip
    time_machine.move_to(issued + dt.timedelta(days=190))
    run_due_work()
    assert reminders.count() == 2  # 70 days after the response
    time_machine.move_to(issued + dt.timedelta(days=215))
    run_due_work()
    assert reminders.count() == 4
    record_rider_response(rider.pk, by=body, text="対応しました。", responded_on=dt.date.today(),
                          done=True)  # fmt: skip
    time_machine.move_to(issued + dt.timedelta(days=400))
    run_due_work()
    assert reminders.count() == 4


def test_a_council_that_sets_no_months_is_never_reminded(council, body, time_machine):
    update_consultation_rules(council.committee, by=council.secretariat, rider_reminder_months=0)
    rider = issued_with_rider(council, [body])
    time_machine.move_to(rider.consultation.issued_at + dt.timedelta(days=800))
    run_due_work()
    assert not OutboxMessage.objects.filter(purpose="consultation.rider_reminder").exists()
