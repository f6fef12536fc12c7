"""Minutes written in Kairan (会議録), from the session to the public page: the secretariat
drafts them from the session (attendance, agenda), writes the results, the Q&A by role and a
withheld passage; the attendees check the draft by a deadline (approve or comment); the
secretariat revises (a new version, the earlier kept); the chair approves; the secretariat
publishes, and anybody reads the record without logging in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from circulation.models import Minutes, MinutesCheck, MinutesVersion, OutboxMessage
from circulation.reads.minutes import MinutesContent
from circulation.reads.todo import todo_for
from circulation.services.minutes_drafts import (
    MinutesRefused,
    approve_minutes,
    check_minutes,
    revise_minutes,
    send_for_check,
    start_session_minutes,
)
from circulation.services.publication import request_publication
from portal.models import AuditEntry
from tests.records.scenes import ANSWER, QUESTION, SECRET, WITHHELD_REASON, written_minutes

pytestmark = pytest.mark.django_db


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _write(minutes: Minutes, by) -> MinutesVersion:
    latest = minutes.versions.get(number=minutes.latest_version)
    content = written_minutes(MinutesContent.of(latest))
    return revise_minutes(minutes.pk, by=by, content=content, base_version=latest.number)


def _in_a_week(session) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=7)


def test_the_first_draft_is_filled_in_from_the_session(council, session):
    response = client_for(council.secretariat).post(
        reverse("minutes_start_session", args=[council.committee.pk, session.pk])
    )
    minutes = Minutes.objects.get(meeting=session)
    assert response.status_code == 302
    assert response["Location"] == reverse("minutes_edit", args=[minutes.pk])
    first = minutes.versions.get()
    assert first.title == "令和8年度第1回 住民基本台帳ネットワークシステム管理運用審議会"
    assert first.place == "市民生活部長室(ウェブ会議併用)"
    assert "14:00〜16:00" in first.held
    # 出席者 from the attendance recorded on the day; 伊藤 answered 欠席 and did not come.
    assert [(p["name"], p["role"]) for p in first.attendees] == [
        ("山田 会長", "chair"), ("鈴木 代理", "acting_chair"),
        ("田中 委員", "member"), ("高橋 委員", "member"),
    ]  # fmt: skip
    assert [p["name"] for p in first.absentees] == ["伊藤 委員"]
    assert first.agenda.splitlines() == [
        "1 開会あいさつ", "2 委員紹介・事務局紹介", "3 会長選任", "4 議題", "5 閉会",
    ]  # fmt: skip
    assert first.observers == 2
    assert AuditEntry.objects.filter(action="minutes.created", actor=council.secretariat).exists()


def test_a_session_has_one_set_of_minutes(council, session):
    start_session_minutes(session.pk, by=council.secretariat)
    with pytest.raises(MinutesRefused):
        start_session_minutes(session.pk, by=council.secretariat)


def test_minutes_cannot_be_drafted_before_the_session_begins(council, session, time_machine):
    time_machine.move_to(session.starts_at - dt.timedelta(minutes=1), tick=False)
    with pytest.raises(MinutesRefused) as refused:
        start_session_minutes(session.pk, by=council.secretariat)
    assert refused.value.code == "not_started"


def _form_data(version: MinutesVersion, **changes) -> dict[str, str]:
    from circulation.forms.records import initial_of

    header, parts = initial_of(MinutesContent.of(version), version.number)
    data = {k: "" if v is None else str(v) for k, v in header.items()}
    data.update({"parts-TOTAL_FORMS": str(len(parts) + 1), "parts-INITIAL_FORMS": "0",
                 "parts-MIN_NUM_FORMS": "0", "parts-MAX_NUM_FORMS": "500"})  # fmt: skip
    for i, part in enumerate(parts):
        for key, value in part.items():
            if key == "withheld":
                if value:
                    data[f"parts-{i}-withheld"] = "on"
            else:
                data[f"parts-{i}-{key}"] = value
    data.update(changes)
    return data


def test_the_secretariat_writes_the_qa_by_role_and_withholds_a_passage(council, session):
    minutes = start_session_minutes(session.pk, by=council.secretariat)
    first = minutes.versions.get()
    new = len(first.parts.all())  # the empty row at the end
    data = _form_data(first, note="質疑を記入", **{
        f"parts-{new}-section": "qa", f"parts-{new}-speaker": "secretariat",
        f"parts-{new}-text": SECRET, f"parts-{new}-withheld": "on",
        f"parts-{new}-withheld_reason": WITHHELD_REASON,
    })  # fmt: skip
    response = client_for(council.secretariat).post(
        reverse("minutes_edit", args=[minutes.pk]), data
    )
    assert response.status_code == 302
    minutes.refresh_from_db()
    assert minutes.latest_version == 2
    second = minutes.versions.get(number=2)
    withheld = second.parts.get(withheld=True)
    assert (withheld.text, withheld.withheld_reason, withheld.speaker) == (
        SECRET, WITHHELD_REASON, "secretariat",
    )  # fmt: skip
    # The first version is kept as it was.
    assert not first.parts.filter(text=SECRET).exists()
    entry = AuditEntry.objects.get(action="minutes.revised")
    assert entry.data["withheld"] == 1 and entry.data["version"] == 2
    assert SECRET not in str(entry.data)


def test_a_withheld_passage_needs_its_reason_and_nothing_typed_is_lost(council, session):
    minutes = start_session_minutes(session.pk, by=council.secretariat)
    first = minutes.versions.get()
    new = len(first.parts.all())
    data = _form_data(first, **{f"parts-{new}-section": "qa", f"parts-{new}-text": SECRET,
                                f"parts-{new}-withheld": "on"})  # fmt: skip
    response = client_for(council.secretariat).post(
        reverse("minutes_edit", args=[minutes.pk]), data
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "非公開にする段落には、理由を入力してください。" in page
    assert SECRET in page  # still in the form
    assert Minutes.objects.get(pk=minutes.pk).latest_version == 1


def test_two_secretaries_do_not_overwrite_each_other(council, session):
    minutes = start_session_minutes(session.pk, by=council.secretariat)
    first = minutes.versions.get()
    _write(minutes, council.secretariat)  # somebody saved version 2 meanwhile
    data = _form_data(first, title="別の会議名")
    response = client_for(council.secretariat).post(
        reverse("minutes_edit", args=[minutes.pk]), data
    )
    assert response.status_code == 400
    assert "別の人が会議録を保存しています(第2版)" in response.content.decode()
    assert "別の会議名" in response.content.decode()
    assert Minutes.objects.get(pk=minutes.pk).latest_version == 2


def test_attendees_check_the_draft_the_chair_approves_and_it_is_published(council, session):
    secretariat, chair = council.secretariat, council.chair
    tanaka, takahashi, ito = council.members
    minutes = start_session_minutes(session.pk, by=secretariat)
    _write(minutes, secretariat)
    # The send page ticks the attendees; 伊藤 (absent) is not ticked.
    page = client_for(secretariat).get(reverse("minutes_send_check", args=[minutes.pk]))
    assert set(page.context["form"].initial["checkers"]) == {
        chair.pk, council.acting_chair.pk, tanaka.pk, takahashi.pk,
    }  # fmt: skip
    attendees = page.context["form"].initial["checkers"]
    response = client_for(secretariat).post(
        reverse("minutes_send_check", args=[minutes.pk]),
        {"deadline_date": "2099-01-01", "deadline_time": "17:00", "checkers": attendees},
    )
    assert response.status_code == 302
    minutes.refresh_from_db()
    assert (minutes.state, minutes.check_version) == (Minutes.State.CHECKING, 2)
    mails = OutboxMessage.objects.filter(purpose="minutes.check")
    assert sorted(m.to_email for m in mails) == sorted(
        ["yamada@example.jp", "suzuki@example.jp", "tanaka@example.jp", "takahashi@example.jp"]
    )
    mail = mails.get(to_email="tanaka@example.jp")
    assert "【会議録の確認のお願い】" in mail.subject
    assert reverse("minutes_detail", args=[minutes.pk]) in mail.body_text
    assert SECRET not in mail.body_text  # the mail links the draft; it does not carry it

    # 田中 sees it in やること, named by the minutes' latest title, and approves on the page;
    # 高橋 comments.
    assert [(i.kind, i.title) for i in todo_for(tanaka)] == [
        ("check_minutes", minutes.versions.get(number=2).title)
    ]
    page = client_for(tanaka).get(reverse("minutes_detail", args=[minutes.pk]))
    assert page.status_code == 200 and "確認しました" in page.content.decode()
    response = client_for(tanaka).post(reverse("minutes_check", args=[minutes.pk]),
                                       {"version": "2", "approve": ""})  # fmt: skip
    assert response.status_code == 302
    assert todo_for(tanaka) == []
    response = client_for(takahashi).post(
        reverse("minutes_check", args=[minutes.pk]),
        {"version": "2", "comment": "会長選任の記載を「会長:山田委員」に", "comment_only": ""},
    )
    assert response.status_code == 302
    assert list(MinutesCheck.objects.values_list("user__full_name", "approved")) == [
        ("田中 委員", True), ("高橋 委員", False),
    ]  # fmt: skip
    # 伊藤 was not asked: the draft does not exist for him.
    assert client_for(ito).get(reverse("minutes_detail", args=[minutes.pk])).status_code == 404

    # The secretariat revises (version 3) and sends it again: everyone is asked again.
    _write(minutes, secretariat)
    send_for_check(minutes.pk, by=secretariat, deadline=_in_a_week(session), checker_ids=[])
    assert OutboxMessage.objects.filter(purpose="minutes.check").count() == 8
    assert [i.kind for i in todo_for(tanaka)] == ["check_minutes"]
    check_minutes(minutes.pk, by=tanaka, version=3, approved=True)
    with pytest.raises(MinutesRefused):  # the earlier version is no longer under check
        check_minutes(minutes.pk, by=takahashi, version=2, approved=True)

    # The chair approves the latest version; a member cannot.
    member_tries = client_for(tanaka).post(reverse("minutes_approve", args=[minutes.pk]),
                                           {"version": "3"})  # fmt: skip
    assert member_tries.status_code == 403
    response = client_for(chair).post(reverse("minutes_approve", args=[minutes.pk]),
                                      {"version": "3"})  # fmt: skip
    assert response.status_code == 302
    minutes.refresh_from_db()
    assert (minutes.state, minutes.approved_version, minutes.approved_by) == (
        Minutes.State.APPROVED, 3, chair,
    )  # fmt: skip
    assert [i.kind for i in todo_for(secretariat)] == ["publish_record"]

    # Published: anybody reads it without logging in.
    public = reverse("public_record", args=[council.committee.pk, minutes.pk])
    assert client_for().get(public).status_code == 404
    response = client_for(secretariat).post(reverse("minutes_publish", args=[minutes.pk]),
                                            {"version": "3"})  # fmt: skip
    assert response.status_code == 302
    minutes.refresh_from_db()
    assert (minutes.state, minutes.published_version) == (Minutes.State.PUBLISHED, 3)
    page = client_for().get(public)
    assert page.status_code == 200
    text = page.content.decode()
    for expected in ("令和8年度第1回", "会議名", "日時", "場所", "出席者", "議題", "審議結果",
                     "質疑", "3 会長選任", QUESTION, ANSWER, "(委員)", "(事務局)"):  # fmt: skip
        assert expected in text, expected
    assert SECRET not in text
    assert WITHHELD_REASON in text
    steps = AuditEntry.objects.filter(action__startswith="record.").order_by("pk")
    assert list(steps.values_list("action", flat=True)) == ["record.requested", "record.published"]
    # Every version is kept.
    assert list(minutes.versions.values_list("number", flat=True)) == [1, 2, 3]


def test_a_check_after_the_deadline_is_refused_and_logged(council, session, time_machine):
    minutes = start_session_minutes(session.pk, by=council.secretariat)
    deadline = _in_a_week(session)
    send_for_check(minutes.pk, by=council.secretariat, deadline=deadline,
                   checker_ids=[council.members[0].pk])  # fmt: skip
    time_machine.move_to(deadline + dt.timedelta(minutes=1), tick=False)
    response = client_for(council.members[0]).post(
        reverse("minutes_check", args=[minutes.pk]), {"version": "1", "comment": "遅れた意見"}
    )
    assert response.status_code == 400
    assert "確認の期限" in response.content.decode()
    assert "遅れた意見" in response.content.decode()
    assert AuditEntry.objects.filter(action="minutes.refused", data__reason="late").exists()
    # After the deadline the chair finds the minutes to approve in やること.
    assert "approve_minutes" in [i.kind for i in todo_for(council.chair)]


def test_a_session_minutes_is_published_only_after_the_chairs_approval(council, session):
    minutes = start_session_minutes(session.pk, by=council.secretariat)
    with pytest.raises(MinutesRefused) as refused:
        request_publication(minutes.pk, by=council.secretariat, version=1)
    assert refused.value.code == "not_approved"
    send_for_check(minutes.pk, by=council.secretariat, deadline=_in_a_week(session),
                   checker_ids=[council.members[0].pk])  # fmt: skip
    with pytest.raises(MinutesRefused):  # the acting chair does not decide while the chair sits
        approve_minutes(minutes.pk, by=council.acting_chair, version=1)
    approve_minutes(minutes.pk, by=council.chair, version=1)
    # A revision after the approval takes it back: the chair approved another text.
    _write(minutes, council.secretariat)
    minutes.refresh_from_db()
    assert minutes.state == Minutes.State.DRAFT
    with pytest.raises(MinutesRefused):
        request_publication(minutes.pk, by=council.secretariat, version=2)


def test_attendees_are_typed_one_a_line_with_their_role():
    from circulation.forms.records import parse_people, people_text

    typed = "田中 委員\n山田  会長 / 会長\n\nJane Smith / acting chair\n佐藤 / 事務局"
    people = parse_people(typed)
    assert [(p["name"], p["role"]) for p in people] == [
        ("田中 委員", "member"), ("山田 会長", "chair"), ("Jane Smith", "acting_chair"),
        ("佐藤", "secretariat"),
    ]  # fmt: skip
    assert parse_people(people_text(people)) == people


@pytest.mark.parametrize("names", [True, False])
def test_the_elections_of_the_session_fill_the_item_of_the_election(council, session, names):
    from circulation.models import Election, RecordSettings

    RecordSettings.objects.create(committee=council.committee, public_names=names)
    for role, person in (("chair", council.chair), ("acting_chair", council.acting_chair)):
        Election.objects.create(meeting=session, role=role, elected=person,
                                recorded_by=council.secretariat)  # fmt: skip
    minutes = start_session_minutes(session.pk, by=council.secretariat)
    part = minutes.versions.get().parts.get(heading="3 会長選任")
    if names:
        assert (
            part.text
            == "会長及び職務代理者の選任。\n会長:山田委員\n職務代理者:鈴木委員\nに決定した。"
        )
    else:
        assert part.text == "会長及び職務代理者の選任を行った。"


def test_the_secretariat_starts_the_minutes_from_the_session_page_and_finds_them_there(
    council, session
):
    """After the session, its page offers 会議録を作成する to the secretariat (not to a
    member); once begun, the page links to the minutes instead."""
    page = reverse("session_detail", args=[session.pk])
    start = reverse("minutes_start_session", args=[council.committee.pk, session.pk])
    assert start not in client_for(council.members[0]).get(page).content.decode()
    sato = client_for(council.secretariat)
    assert f'action="{start}"' in sato.get(page).content.decode()

    response = sato.post(start)

    minutes = Minutes.objects.get(meeting=session)
    assert response.status_code == 302 and response.url == reverse(
        "minutes_edit", args=[minutes.pk]
    )
    body = sato.get(page).content.decode()
    assert reverse("minutes_detail", args=[minutes.pk]) in body and start not in body
