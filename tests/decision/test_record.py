"""The decision record (審議結果): what it says, named and masked, its CSV, and who may
see it when."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from circulation.services.closing import close_circulation
from circulation.services.decisions import decide
from portal.models import AuditEntry, Role
from tests.decision.helpers import (
    ANSWER,
    OPINION,
    QUESTION,
    REASON,
    jst_label,
    open_scene,
    reply,
)
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

# Every person of the council, by surname: none may appear on a masked record.
SURNAMES = ["山田", "鈴木", "田中", "高橋", "伊藤", "佐藤", "渡辺"]
CSV_HEADER = ["委員", "回答", "意見", "審議の要否", "回答方法", "回答日時(日本時間)", "版"]


@pytest.fixture
def decided(council, closed):
    decide(closed.circulation.pk, convene=True, reason=REASON, by=council.chair)
    closed.reload()
    return closed


def record_url(scene, masked: bool = False) -> str:
    url = reverse("decision_record", args=[scene.circulation.pk])
    return url + "?masked=1" if masked else url


def csv_url(scene, masked: bool = False) -> str:
    url = reverse("decision_record_csv", args=[scene.circulation.pk])
    return url + "?masked=1" if masked else url


def read_csv(response) -> list[list[str]]:
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")  # BOM: Excel in Japan reads it as UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_named_record_holds_the_whole_circulation(client, council, decided):
    client.force_login(council.secretariat)
    response = client.get(record_url(decided))
    assert response.status_code == 200
    html = response.content.decode()
    assert council.committee.name in html
    assert decided.circulation.title in html
    for moment in (decided.sent_at, decided.deadline, decided.decide_at):
        assert jst_label(moment, year=True) in html  # 2026年11月30日(月) 09:00
    assert "議事録(案)" in html and "第1版" in html
    for name in ("田中 委員", "高橋 委員", "山田 会長(会長)", "伊藤 委員", "鈴木 代理(職務代理者)"):
        assert f'<th scope="row">{name}</th>' in html
    assert OPINION in html and "審議が必要" in html
    assert QUESTION in html and ANSWER in html
    assert "質問(高橋 委員、" in html and "回答(佐藤 事務局(事務局)、" in html
    assert '<p class="decision-outcome">開催する</p>' in html
    assert REASON in html
    assert "決定した人: 会長 山田 会長" in html


def test_the_masked_record_names_nobody_anywhere(client, council, decided):
    client.force_login(council.secretariat)
    html = client.get(record_url(decided, masked=True)).content.decode()
    for surname in SURNAMES:
        assert surname not in html, surname
    assert html.count('<th scope="row">委員</th>') == 5
    assert OPINION in html and QUESTION in html and ANSWER in html
    assert "質問(委員、" in html and "回答(事務局、" in html
    assert "決定した人: 会長</p>" in html
    assert "(会長)" not in html  # the chair's row is not singled out either


def test_a_member_sees_the_record_masked_and_cannot_unmask_it(client, council, decided):
    client.force_login(council.members[0])
    for url in (record_url(decided), record_url(decided) + "?masked=0"):
        html = client.get(url).content.decode()
        for surname in SURNAMES:
            assert surname not in html, surname
        assert "氏名を表示する" not in html
    rows = read_csv(client.get(csv_url(decided)))
    assert {row[0] for row in rows[1:]} == {"委員"}


def test_members_see_names_when_the_committee_shows_names(client, council, decided):
    council.committee.show_member_names = True
    council.committee.save()
    client.force_login(council.members[0])
    assert '<th scope="row">高橋 委員</th>' in client.get(record_url(decided)).content.decode()


def test_the_csv_lists_every_reply_in_utf8_with_bom_and_is_audited(client, council, decided):
    client.force_login(council.secretariat)
    response = client.get(csv_url(decided))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="decision-record-{decided.circulation.pk}.csv"'
    )
    assert "filename*=UTF-8''%E5%AF%A9" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0] == CSV_HEADER
    by_name = {row[0]: row for row in rows[1:]}
    assert len(by_name) == 5
    replied_at = decided.sent_at + dt.timedelta(days=1, hours=1)  # Tuesday 10:00 JST
    expected_time = replied_at.strftime("%Y-%m-%d %H:%M")
    assert by_name["田中 委員"] == [
        "田中 委員", "意見あり", OPINION, "審議が必要", "ウェブ", expected_time, "1",
    ]  # fmt: skip
    assert by_name["高橋 委員"][1:4] == ["意見なし", "", "審議は不要"]
    assert by_name["山田 会長(会長)"][3] == ""  # the meeting question left open
    assert by_name["伊藤 委員"] == ["伊藤 委員", "未回答", "", "", "", "", ""]
    entry = AuditEntry.objects.get(action="circulation.record.exported")
    assert entry.actor == council.secretariat
    assert entry.data == {"format": "csv", "masked": False, "rows": 5}


def test_the_masked_csv_names_nobody(client, council, decided):
    client.force_login(council.secretariat)
    response = client.get(csv_url(decided, masked=True))
    text = response.content.decode("utf-8-sig")
    for surname in SURNAMES:
        assert surname not in text, surname
    rows = read_csv(response)
    assert [row[0] for row in rows[1:]] == ["委員"] * 5
    assert OPINION in text
    assert AuditEntry.objects.get(action="circulation.record.exported").data["masked"] is True


def test_an_opinion_that_looks_like_a_formula_is_not_run_by_the_spreadsheet(
    client, council, time_machine
):
    scene = open_scene(council)
    time_machine.move_to(scene.sent_at + dt.timedelta(days=2), tick=False)
    reply(scene.circulation, council.members[2], "opinion", '=HYPERLINK("http://x","y")')
    close_circulation(scene.circulation.pk, now=scene.closed_at)
    client.force_login(council.secretariat)
    rows = read_csv(client.get(csv_url(scene)))
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["伊藤 委員"][2] == '\'=HYPERLINK("http://x","y")'


@pytest.mark.parametrize(
    ("persona", "before", "after"),
    [
        ("secretariat", 200, 200),
        ("chair", 403, 200),
        ("acting_chair", 403, 200),
        ("member", 403, 200),
        ("implementing_body", 403, 403),
        ("outsider", 404, 404),
        ("other_secretariat", 404, 404),
        ("former_member", 404, 404),
    ],
)
def test_who_may_see_the_record_before_and_after_the_decision(
    client, council, closed, persona, before, after
):
    if persona == "member":
        person = council.members[1]
    elif persona == "implementing_body":
        person = UserFactory(email="staff@city.example.jp", full_name="実施機関 職員")
        MembershipFactory(user=person, committee=council.committee, role=Role.IMPLEMENTING_BODY)
    else:
        person = getattr(council, persona)
    client.force_login(person)
    assert client.get(record_url(closed)).status_code == before
    assert client.get(csv_url(closed)).status_code == before
    decide(closed.circulation.pk, convene=False, reason="不要", by=council.chair)
    assert client.get(record_url(closed)).status_code == after
    assert client.get(csv_url(closed)).status_code == after
    exported = AuditEntry.objects.filter(action="circulation.record.exported").count()
    assert exported == (before == 200) + (after == 200)
