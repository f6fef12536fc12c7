"""Attendance (出欠): members answer by the invitation's one-click links (a confirmation
page first) or on the session page, change their answer until the start and not after;
the secretariat sees the list, records who attended and the observers; the quorum is shown
from the answers before and from the record after."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from circulation.mail.meeting import INVITATION
from circulation.models import Attendance, Meeting
from circulation.services.attendance import (
    AttendanceRefused,
    answer_attendance,
    record_attendance,
)
from portal.models import AuditEntry, Quorum
from tests.sessions.helpers import mails

pytestmark = pytest.mark.django_db


def link(person_email: str, label: str) -> str:
    """The path of a link in the person's invitation ("出席", "欠席", "ウェブ参加")."""
    text = mails(INVITATION, to_email=person_email)[0].body_text
    url = re.search(rf"^{label}: (\S+)$", text, re.MULTILINE).group(1)
    return re.sub(r"^https?://[^/]+", "", url)


def answer_of(meeting: Meeting, user) -> str:
    return Attendance.objects.get(meeting=meeting, user=user).answer


def test_a_member_answers_by_the_link_after_a_confirmation_page(council, session):
    tanaka = council.members[0]
    client = Client()
    url = link("tanaka@example.jp", "出席")
    page = client.get(url)
    assert page.status_code == 200
    assert "「出席」と回答します" in page.content.decode()
    assert answer_of(session, tanaka) == ""  # a GET (a mail scanner) changes nothing
    done = client.post(url)
    assert done.status_code == 200 and "出欠の回答を受け付けました" in done.content.decode()
    assert answer_of(session, tanaka) == "attend"
    entry = AuditEntry.objects.get(action="session.attendance.answered")
    assert entry.actor == tanaka and entry.data["channel"] == "link"
    assert entry.committee == council.committee
    # Changing their mind: the 欠席 link of the same mail.
    client.post(link("tanaka@example.jp", "欠席"))
    assert answer_of(session, tanaka) == "absent"


def test_a_link_opened_by_someone_else_signed_in_is_refused_and_logged(council, session):
    client = Client()
    client.force_login(council.members[1])
    response = client.post(link("tanaka@example.jp", "出席"))
    assert response.status_code == 403
    assert answer_of(session, council.members[0]) == ""
    assert AuditEntry.objects.filter(
        action="session.attendance.link_refused", actor=council.members[1]
    ).exists()


def test_a_forged_link_is_a_404(council, session):
    url = link("tanaka@example.jp", "出席")
    assert Client().get(url[:-6] + "abcdef/").status_code == 404


def test_a_member_answers_on_the_session_page_and_may_change_it(client, council, session):
    takahashi = council.members[1]
    client.force_login(takahashi)
    page = client.get(reverse("session_detail", args=[session.pk])).content.decode()
    assert "まだ回答していません" in page and "議題1" in page and "委員紹介" in page
    client.post(reverse("session_answer", args=[session.pk]), {"answer": "web"})
    assert answer_of(session, takahashi) == "web"
    client.post(reverse("session_answer", args=[session.pk]), {"answer": "attend"})
    assert answer_of(session, takahashi) == "attend"
    empty = client.post(reverse("session_answer", args=[session.pk]), {})
    assert empty.status_code == 400
    assert "出席・欠席・ウェブ参加のいずれかを選んでください" in empty.content.decode()


def test_no_change_after_the_start_by_link_or_web(client, council, session, time_machine):
    tanaka = council.members[0]
    answer_attendance(session.pk, by=tanaka, answer="attend")
    url = link("tanaka@example.jp", "欠席")
    time_machine.move_to(session.starts_at, tick=False)
    refused = Client().post(url)
    assert refused.status_code == 409
    assert "開始時刻" in refused.content.decode()
    with pytest.raises(AttendanceRefused) as web:
        answer_attendance(session.pk, by=tanaka, answer="absent")
    assert web.value.code == "started"
    assert answer_of(session, tanaka) == "attend"
    client.force_login(tanaka)
    page = client.get(reverse("session_detail", args=[session.pk])).content.decode()
    assert "出欠は変更できません" in page and 'name="answer"' not in page
    assert AuditEntry.objects.filter(action="session.refused", actor=tanaka).count() == 2


def test_the_secretariat_or_an_outsider_cannot_answer(council, session):
    with pytest.raises(AttendanceRefused) as refused:
        answer_attendance(session.pk, by=council.secretariat, answer="attend")
    assert refused.value.code == "not_invited"


def test_quorum_from_the_answers_then_from_the_record(client, council, session, time_machine):
    chair, acting, (tanaka, takahashi, ito) = council.chair, council.acting_chair, council.members
    # Five sit (chair, acting chair, three members): more than half is three.
    answer_attendance(session.pk, by=chair, answer="attend")
    answer_attendance(session.pk, by=tanaka, answer="web")  # on the web counts as present
    answer_attendance(session.pk, by=ito, answer="absent")
    client.force_login(council.secretariat)
    page = client.get(reverse("session_detail", args=[session.pk])).content.decode()
    assert "出欠の回答による" in page
    assert "出席 2人 / 定足数 3人(委員 5人、委員の過半数)" in page
    assert "定足数に達していません" in page
    assert "出席 1人・ウェブ参加 1人・欠席 1人・未回答 2人" in page
    answer_attendance(session.pk, by=acting, answer="attend")
    page = client.get(reverse("session_detail", args=[session.pk])).content.decode()
    assert "定足数を満たしています" in page
    # On the day, the secretariat records who came: 田中 did not, 高橋 came unannounced.
    time_machine.move_to(session.starts_at + dt.timedelta(minutes=5), tick=False)
    client.force_login(council.secretariat)  # days later: a new sign-in
    response = client.post(
        reverse("session_record", args=[session.pk]),
        {f"attended_{chair.pk}": "on", f"attended_{acting.pk}": "on",
         f"attended_{takahashi.pk}": "on", "observers": "4"},
    )  # fmt: skip
    assert response["Location"] == reverse("session_detail", args=[session.pk])
    session.refresh_from_db()
    assert session.observers == 4 and session.attendance_recorded_at is not None
    attended = dict(Attendance.objects.filter(meeting=session).values_list("user_id", "attended"))
    assert attended == {chair.pk: True, acting.pk: True, takahashi.pk: True, tanaka.pk: False,
                        ito.pk: False}  # fmt: skip
    page = client.get(reverse("session_detail", args=[session.pk])).content.decode()
    assert "出席の記録による" in page and "出席 3人 / 定足数 3人" in page
    assert "傍聴者数" in page and "4人" in page
    assert AuditEntry.objects.get(action="session.attendance.recorded").data["observers"] == 4


def test_the_councils_quorum_setting_is_applied(client, council, session):
    council.committee.quorum = Quorum.TWO_THIRDS
    council.committee.save()
    client.force_login(council.members[0])
    page = client.get(reverse("session_detail", args=[session.pk])).content.decode()
    assert "定足数 4人(委員 5人、委員の3分の2以上)" in page
    assert "委員の出欠" not in page  # the list is the secretariat's


def test_attendance_is_recorded_only_from_the_start_by_the_secretariat(council, session):
    with pytest.raises(AttendanceRefused) as early:
        record_attendance(session.pk, by=council.secretariat, attended=set(), observers=0)
    assert early.value.code == "not_started"
    with pytest.raises(AttendanceRefused) as member:
        record_attendance(session.pk, by=council.chair, attended=set(), observers=0)
    assert member.value.code == "not_secretariat"
    session.refresh_from_db()
    assert session.attendance_recorded_at is None


def test_a_member_whose_term_ended_since_the_invitation_cannot_answer(council, session):
    from portal.models import Membership

    tanaka = council.members[0]
    url = link("tanaka@example.jp", "出席")
    seat = Membership.objects.get(committee=council.committee, user=tanaka)
    seat.term_end = seat.term_start  # ended long ago
    seat.save()
    response = Client().post(url)
    assert response.status_code == 403
    assert "任期が終了しているため" in response.content.decode()
    assert answer_of(session, tanaka) == ""
