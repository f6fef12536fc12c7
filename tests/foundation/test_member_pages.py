"""The secretariat manages the council's members on its own pages (not only the admin):
sees who sits now, who will and whose term ended; invites, changes roles, ends terms,
re-appoints, resends invitations and marks the chair absent."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from circulation.models import OutboxMessage
from portal.models import AuditEntry, Membership, Role, User
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 4, 1)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def secretariat(client, council):
    client.force_login(council.secretariat)
    return client


def seat(council, user) -> Membership:
    return Membership.objects.filter(committee=council.committee, user=user).latest("term_start")


def members_url(council) -> str:
    return reverse("committee_members", args=[council.committee.pk])


def detail_url(council, membership) -> str:
    return reverse("committee_member_detail", args=[council.committee.pk, membership.pk])


def action_url(council, name, membership) -> str:
    return reverse(f"committee_member_{name}", args=[council.committee.pk, membership.pk])


def test_the_list_shows_sitting_future_and_ended_terms_apart(secretariat, council):
    MembershipFactory(
        committee=council.committee,
        user=UserFactory(email="kimura@example.jp", full_name="木村 次期委員"),
        role=Role.MEMBER,
        term_start=TODAY + dt.timedelta(days=10),
        term_end=TODAY + dt.timedelta(days=740),
    )
    response = secretariat.get(members_url(council))
    body = response.content.decode()
    assert response.status_code == 200
    sitting, rest = body.split('id="group-sitting"')[1].split('id="group-future"')
    future, ended = rest.split('id="group-ended"')
    for name in ("山田 会長", "鈴木 代理", "田中 委員", "高橋 委員", "伊藤 委員", "佐藤 事務局"):
        assert name in sitting
    assert "木村 次期委員" in future and "木村 次期委員" not in sitting
    assert "渡辺 前委員" in ended and "渡辺 前委員" not in sitting
    assert "在任中" in body and "就任予定" in body and "任期終了" in body
    assert "2025年9月13日" in sitting  # terms in full, Japanese dates
    assert "中村 事務局" not in body  # the other council's people are not listed


def test_the_committee_page_links_the_secretariat_to_member_management(secretariat, council):
    body = secretariat.get(reverse("committee_detail", args=[council.committee.pk])).content
    assert members_url(council).encode() in body


@pytest.mark.parametrize(
    ("who", "status"),
    [("chair", 403), ("members", 403), ("outsider", 404), ("other_secretariat", 404)],
)
def test_only_the_councils_secretariat_may_manage_members(client, council, who, status):
    person = getattr(council, who)
    client.force_login(person[0] if isinstance(person, list) else person)
    tanaka = seat(council, council.members[0])
    assert client.get(members_url(council)).status_code == status
    assert client.get(detail_url(council, tanaka)).status_code == status
    assert (
        client.get(reverse("committee_member_add", args=[council.committee.pk])).status_code
        == status
    )
    response = client.post(action_url(council, "end_term", tanaka), {"end-term_end": "2026-04-01"})
    assert response.status_code == status
    assert seat(council, council.members[0]).term_end != TODAY


def test_an_anonymous_visitor_is_sent_to_log_in(client, council):
    response = client.get(members_url(council))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_another_councils_membership_is_not_found(secretariat, council):
    theirs = Membership.objects.get(user=council.other_secretariat)
    assert secretariat.get(detail_url(council, theirs)).status_code == 404
    response = secretariat.post(
        action_url(council, "end_term", theirs), {"end-term_end": "2026-04-01"}
    )
    assert response.status_code == 404


def test_adding_a_member_sends_an_invitation(secretariat, council):
    response = secretariat.post(
        reverse("committee_member_add", args=[council.committee.pk]),
        {
            "full_name": "木村 新委員",
            "email": "kimura@example.jp",
            "role": "member",
            "term_start": "2026-04-01",
            "term_end": "2028-03-31",
        },
    )
    assert response.status_code == 302
    kimura = User.objects.get(email="kimura@example.jp")
    assert seat(council, kimura).term_end == dt.date(2028, 3, 31)
    assert OutboxMessage.objects.filter(purpose="account.invitation", to_user=kimura).exists()
    listing = secretariat.get(response["Location"]).content.decode()
    assert "木村 新委員さんを委員として登録し、招待メールを送りました。" in listing
    assert "未承諾" in listing


def test_the_add_form_offers_a_two_year_term_from_today(secretariat, council):
    body = secretariat.get(reverse("committee_member_add", args=[council.committee.pk])).content
    assert b'value="2026-04-01"' in body and b'value="2028-03-31"' in body


def test_a_second_chair_is_refused_and_what_was_typed_is_kept(secretariat, council):
    response = secretariat.post(
        reverse("committee_member_add", args=[council.committee.pk]),
        {
            "full_name": "木村 新委員",
            "email": "kimura@example.jp",
            "role": "chair",
            "term_start": "2026-04-01",
            "term_end": "2028-03-31",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "すでに会長がいます" in body
    assert 'aria-describedby="id_role_error"' in body
    assert 'value="木村 新委員"' in body and 'value="kimura@example.jp"' in body
    assert '<option value="chair" selected>' in body
    assert not User.objects.filter(email="kimura@example.jp").exists()


def test_a_term_ending_before_it_starts_is_refused(secretariat, council):
    response = secretariat.post(
        reverse("committee_member_add", args=[council.committee.pk]),
        {
            "full_name": "木村",
            "email": "kimura@example.jp",
            "role": "member",
            "term_start": "2026-04-01",
            "term_end": "2026-03-01",
        },
    )
    assert response.status_code == 400
    assert "任期終了日は任期開始日より後の日付にしてください。" in response.content.decode()


def test_changing_a_role_from_the_members_page(secretariat, council):
    secretariat.post(
        action_url(council, "end_term", seat(council, council.acting_chair)),
        {"end-term_end": "2026-04-01"},
    )
    tanaka = seat(council, council.members[0])
    response = secretariat.post(
        action_url(council, "change_role", tanaka),
        {"role-role": "acting_chair", "role-effective": "2026-04-02"},
    )
    assert response.status_code == 302
    assert seat(council, council.members[0]).role == Role.ACTING_CHAIR
    assert AuditEntry.objects.filter(action="committee.member.role_changed").count() == 1


def test_a_refused_role_change_shows_the_reason_and_keeps_the_date(secretariat, council):
    tanaka = seat(council, council.members[0])
    response = secretariat.post(
        action_url(council, "change_role", tanaka),
        {"role-role": "chair", "role-effective": "2026-05-01"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "会長は同時に1名だけです" in body
    assert 'value="2026-05-01"' in body
    assert seat(council, council.members[0]).role == Role.MEMBER


def test_ending_a_term_from_the_members_page(secretariat, council):
    tanaka = seat(council, council.members[0])
    response = secretariat.post(
        action_url(council, "end_term", tanaka), {"end-term_end": "2026-04-01"}
    )
    assert response.status_code == 302
    tanaka.refresh_from_db()
    assert tanaka.term_end == TODAY
    entry = AuditEntry.objects.get(action="committee.member.term_ended")
    assert entry.actor == council.secretariat


def test_an_impossible_end_date_is_shown_next_to_the_field(secretariat, council):
    tanaka = seat(council, council.members[0])
    response = secretariat.post(
        action_url(council, "end_term", tanaka), {"end-term_end": "2020-01-01"}
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'aria-describedby="id_end-term_end_helptext id_end-term_end_error"' in body
    assert 'value="2020-01-01"' in body


def test_reappointing_from_the_members_page(secretariat, council):
    watanabe = seat(council, council.former_member)
    page = secretariat.get(detail_url(council, watanabe)).content.decode()
    assert "任期終了" in page and "再任する" in page
    response = secretariat.post(
        action_url(council, "reappoint", watanabe),
        {
            "reappoint-role": "member",
            "reappoint-term_start": "2026-04-01",
            "reappoint-term_end": "2028-03-31",
        },
    )
    assert response.status_code == 302
    new = seat(council, council.former_member)
    assert (new.term_start, new.term_end) == (TODAY, dt.date(2028, 3, 31))
    assert AuditEntry.objects.filter(action="committee.member.reappointed").count() == 1


def test_resending_an_invitation_from_the_members_page(secretariat, council):
    pending = UserFactory(email="kimura@example.jp", full_name="木村 新委員", verified=False)
    membership = MembershipFactory(committee=council.committee, user=pending)
    page = secretariat.get(detail_url(council, membership)).content.decode()
    assert "招待メールを再送する" in page
    response = secretariat.post(action_url(council, "resend_invitation", membership))
    assert response.status_code == 302
    assert OutboxMessage.objects.filter(purpose="account.invitation", to_user=pending).count() == 1
    # An accepted invitation is not resent; the page says how the person logs in instead.
    tanaka = seat(council, council.members[0])
    assert (
        "招待メールを再送する" not in secretariat.get(detail_url(council, tanaka)).content.decode()
    )
    response = secretariat.post(action_url(council, "resend_invitation", tanaka), follow=True)
    assert "ログインコード" in response.content.decode()
    assert not OutboxMessage.objects.filter(to_user=council.members[0]).exists()


def test_marking_the_chair_absent_from_the_members_page(secretariat, council):
    url = reverse("committee_chair_absence", args=[council.committee.pk])
    response = secretariat.post(url, {"absent": "1"}, follow=True)
    council.committee.refresh_from_db()
    assert council.committee.chair_absent
    assert "会長は不在です。" in response.content.decode()
    secretariat.post(url, {"absent": "0"})
    council.committee.refresh_from_db()
    assert not council.committee.chair_absent
    assert AuditEntry.objects.filter(action="committee.chair_absence.changed").count() == 2


def test_members_may_not_mark_the_chair_absent(client, council):
    client.force_login(council.acting_chair)
    url = reverse("committee_chair_absence", args=[council.committee.pk])
    assert client.post(url, {"absent": "1"}).status_code == 403
    council.committee.refresh_from_db()
    assert not council.committee.chair_absent
