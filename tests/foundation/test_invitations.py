"""An invited person opens the link in the invitation mail, confirms their name, perhaps
sets a password, and is logged in. The link works once and expires."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from circulation.models import OutboxMessage
from portal.models import AuditEntry, Role, User
from portal.services.errors import Refused
from portal.services.invitations import resend_invitation
from portal.services.membership import default_term_end, invite_member
from tests.foundation.helpers import invitation_path

pytestmark = pytest.mark.django_db
PASSWORD = "kimura-new-secret-42"


@pytest.fixture
def kimura(council):
    """木村 has just been invited as a member by 佐藤 of the secretariat."""
    today = timezone.localdate()
    return invite_member(
        council.committee,
        "木村 新委員",
        "kimura@example.jp",
        Role.MEMBER,
        today,
        default_term_end(today),
        by=council.secretariat,
    )


def the_invitation() -> OutboxMessage:
    return OutboxMessage.objects.filter(purpose="account.invitation").latest("id")


def logged_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


def test_opening_the_link_shows_the_council_and_changes_nothing(client, council, kimura):
    response = client.get(invitation_path(the_invitation()))
    body = response.content.decode()
    assert response.status_code == 200
    assert council.committee.name in body
    assert 'value="木村 新委員"' in body
    assert not EmailAddress.objects.get(user=kimura.user).verified
    assert logged_in_user_id(client) is None


def test_accepting_with_a_password_verifies_the_address_and_logs_in(client, council, kimura):
    response = client.post(
        invitation_path(the_invitation()),
        {"full_name": "木村 真一", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert logged_in_user_id(client) == str(kimura.user.pk)
    person = User.objects.get(pk=kimura.user.pk)
    assert person.full_name == "木村 真一"
    address = EmailAddress.objects.get(user=person)
    assert address.verified and address.primary
    accepted = AuditEntry.objects.get(action="account.invitation.accepted")
    assert accepted.actor == person and accepted.data == {"password_set": True}
    assert AuditEntry.objects.filter(action="account.login", actor=person).exists()

    # Later, on another day, the password works on the ordinary login page.
    client.logout()
    response = client.post(
        reverse("account_login"), {"login": "kimura@example.jp", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(person.pk)


def test_accepting_without_a_password_still_logs_in(client, kimura):
    response = client.post(invitation_path(the_invitation()), {"full_name": "木村 新委員"})
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(kimura.user.pk)
    person = User.objects.get(pk=kimura.user.pk)
    assert not person.has_usable_password()
    assert AuditEntry.objects.get(action="account.invitation.accepted").data == {
        "password_set": False
    }


def test_a_mistyped_password_is_refused_and_the_name_typed_is_kept(client, kimura):
    response = client.post(
        invitation_path(the_invitation()),
        {"full_name": "木村 真一", "password1": PASSWORD, "password2": PASSWORD + "x"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "確認用のパスワードが一致しません。" in body
    assert 'value="木村 真一"' in body
    assert 'aria-describedby="id_password2_error"' in body
    assert logged_in_user_id(client) is None
    assert not EmailAddress.objects.get(user=kimura.user).verified


def test_a_weak_password_is_refused(client, kimura):
    response = client.post(
        invitation_path(the_invitation()),
        {"full_name": "木村", "password1": "12345", "password2": "12345"},
    )
    assert response.status_code == 400
    assert logged_in_user_id(client) is None


def test_the_link_works_once(client, kimura):
    path = invitation_path(the_invitation())
    client.post(path, {"full_name": "木村 新委員"})
    client.logout()

    response = client.get(path)
    body = response.content.decode()
    assert "招待は承諾済みです" in body
    assert reverse("account_request_login_code") in body
    response = client.post(path, {"full_name": "なりすまし"})
    assert logged_in_user_id(client) is None
    assert User.objects.get(pk=kimura.user.pk).full_name == "木村 新委員"
    assert AuditEntry.objects.filter(action="account.invitation.accepted").count() == 1


def test_an_expired_link_says_to_ask_the_secretariat_and_offers_a_login_code(client, kimura):
    path = invitation_path(the_invitation())
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=15)):
        response = client.get(path)
        body = response.content.decode()
        assert response.status_code == 410
        assert "有効期限が切れています" in body
        assert "事務局" in body
        assert reverse("account_request_login_code") in body
        client.post(path, {"full_name": "木村 新委員"})
        assert logged_in_user_id(client) is None


def test_a_forged_link_is_refused(client, kimura):
    path = invitation_path(the_invitation())
    response = client.get(path[:-3] + "abc/")
    assert response.status_code == 410
    assert "使用済みか、正しくありません" in response.content.decode()


def test_the_link_stops_working_when_the_account_changes(client, kimura):
    # e.g. an administrator set a password in the meantime: the old link is void.
    path = invitation_path(the_invitation())
    kimura.user.set_password("set-by-admin-9876")
    kimura.user.save()
    assert client.get(path).status_code == 410


def test_someone_logged_in_as_another_person_cannot_accept(client, council, kimura):
    client.force_login(council.members[0])
    path = invitation_path(the_invitation())
    response = client.post(path, {"full_name": "木村"})
    assert response.status_code == 403
    assert not EmailAddress.objects.get(user=kimura.user).verified


def test_resending_queues_a_new_mail_with_a_link_that_works(client, council, kimura):
    first = the_invitation()
    resend_invitation(kimura, council.secretariat)
    second = the_invitation()
    assert second.pk != first.pk
    assert second.key != first.key
    assert second.to_email == "kimura@example.jp"
    assert AuditEntry.objects.filter(action="account.invitation.resent").count() == 1

    response = client.post(invitation_path(second), {"full_name": "木村 新委員"})
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(kimura.user.pk)


def test_a_double_click_on_resend_sends_one_mail(council, kimura):
    with time_machine.travel(dt.datetime(2026, 4, 1, 1, 0, 10, tzinfo=dt.UTC), tick=False):
        resend_invitation(kimura, council.secretariat)
        with pytest.raises(Refused):
            resend_invitation(kimura, council.secretariat)
    assert OutboxMessage.objects.filter(purpose="account.invitation").count() == 2


def test_no_resend_once_the_invitation_was_accepted(client, council, kimura):
    client.post(invitation_path(the_invitation()), {"full_name": "木村 新委員"})
    with pytest.raises(Refused) as refusal:
        resend_invitation(kimura, council.secretariat)
    assert "ログインコード" in str(refusal.value.message)


def test_the_invited_person_may_use_a_login_code_instead_of_the_link(client, kimura):
    """The code proves the address just as the link does (allauth verifies it)."""
    from tests.foundation.helpers import login_code

    client.post(reverse("account_request_login_code"), {"email": "kimura@example.jp"})
    code_mail = OutboxMessage.objects.get(purpose="account.login_code")
    response = client.post(reverse("account_confirm_login_code"), {"code": login_code(code_mail)})
    assert response.status_code == 302
    assert logged_in_user_id(client) == str(kimura.user.pk)
    assert EmailAddress.objects.get(user=kimura.user).verified
