"""`make demo` has the second seed's council, 長崎市個人情報保護審議会, with 諮問第65号
approved at its session with the rider about the operation logs (its response recorded),
諮問第66号 approved without riders, and 諮問第67号 open for votes."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from circulation.demo_consultations import CONSULTATION_65, CONSULTATION_OPEN, RESPONSE_65, RIDER_65
from circulation.models import Circulation, Consultation, OutboxMessage
from circulation.reads.consultations import open_riders
from portal.demo import PRIVACY_COMMITTEE_NAME, load_demo
from portal.models import Committee, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_the_demo(settings):
    settings.DEMO = True


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_privacy_council_has_its_two_answered_consultations_and_one_open():
    demo = load_demo()
    committee = Committee.objects.get(name=PRIVACY_COMMITTEE_NAME)
    by_number = {c.number: c for c in Consultation.objects.filter(committee=committee)}
    assert sorted(by_number) == [65, 66, 67]

    c65 = by_number[65]
    assert c65.circulation.title == CONSULTATION_65 and c65.department == "中央地域センター"
    assert c65.is_issued and c65.report_addressee == "長崎市長 様"
    assert [item.result for item in c65.items.all()] == ["approved"]
    rider = c65.riders.get()
    assert rider.text == RIDER_65
    assert rider.responses.get().text == RESPONSE_65 and rider.responses.get().done
    assert c65.statements.filter(speaker_role="implementing_body").exists()

    c66 = by_number[66]
    assert c66.is_issued and not c66.riders.exists()
    assert [item.result for item in c66.items.all()] == ["approved"]

    c67 = by_number[67]
    assert c67.circulation.state == Circulation.State.OPEN
    assert c67.circulation.title == CONSULTATION_OPEN
    assert c67.circulation.recipients.filter(current_reply__isnull=False).count() == 1
    assert OutboxMessage.objects.filter(
        purpose="circulation.notice", circulation=c67.circulation, to_user=demo.members[1]
    ).exists()
    assert open_riders(committee) == []  # the rider's response says 対応済み
    # The first council's circulations keep the numbers the README gives them (the public
    # records' written deliberation is made after the consultations).
    before = Circulation.objects.filter(pk__lt=by_number[65].pk, kind=Circulation.Kind.CIRCULATION)
    assert before.count() == 3
    # Made after them: on a fresh demo database (ids from 1) 諮問第65号 is /c/4/, as the
    # README says.
    first = Circulation.objects.order_by("pk").first().pk
    assert [by_number[n].pk for n in (65, 66, 67)] == [first + 3, first + 4, first + 5]

    assert load_demo() is None  # running the demo again keeps everything
    assert Consultation.objects.count() == 3


def test_the_demos_people_find_the_consultations(client):
    demo = load_demo()
    c65 = Consultation.objects.get(number=65)
    c67 = Consultation.objects.get(number=67)
    client.force_login(demo.members[1])  # 試行 三郎 has not voted on 67
    assert "諮問第67号" in text(client.get(reverse("home")))
    page = text(client.get(reverse("consultation_detail", args=[c67.pk])))
    assert "回答を送信" in page and "書面による議事の規則" in page
    record = text(client.get(reverse("consultation_record", args=[c65.pk])))
    assert "(実施機関)" in record and "(詳細はセキュリティ上の理由から未記載)" in record
    body = User.objects.get(email="kensho.taichi@city.example.jp")
    client.force_login(body)
    report = text(client.get(reverse("consultation_report", args=[c65.pk])))
    assert RIDER_65 in report and "長崎市長 様" in report
    assert (
        client.get(
            reverse("consultation_detail", args=[Consultation.objects.get(number=66).pk])
        ).status_code
        == 404
    )
