"""When something cannot be done, the page says so in the person's language, with the
portal's navigation and a way back — never Django's bare English page — and a form that could
not be accepted shows back what was typed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views import defaults

from circulation.services.sending import send_circulation
from tests.circulation.conftest import JST, clock  # noqa: F401  (the frozen Japan time)
from tests.circulation.helpers import draft_circulation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def sent(council):
    circulation = draft_circulation(council, deadline=dt.datetime(2026, 9, 10, 17, 0, tzinfo=JST))
    return send_circulation(circulation.pk, by=council.secretariat)


def test_a_missing_circulation_is_a_japanese_page_with_a_way_home(client, council):
    client.force_login(council.members[0])
    response = client.get(reverse("circulation_detail", args=[999_999]))
    assert response.status_code == 404
    body = response.content.decode()
    assert '<html lang="ja">' in body
    assert "ページが見つかりません" in body
    assert "そのメールを受け取ったご本人のアカウントでログインしているか" in body
    assert f'href="{reverse("home")}"' in body
    assert "The requested resource was not found" not in body


def test_another_committees_circulation_is_the_same_page_as_a_missing_one(client, council):
    circulation = sent(council)
    client.force_login(council.other_secretariat)
    response = client.get(reverse("circulation_detail", args=[circulation.pk]))
    assert response.status_code == 404
    assert "ページが見つかりません" in response.content.decode()


def test_a_member_refused_the_tracking_page_is_told_in_japanese(client, council):
    circulation = sent(council)
    client.force_login(council.members[0])
    response = client.get(reverse("circulation_tracking", args=[circulation.pk]))
    assert response.status_code == 403
    body = response.content.decode()
    assert "この操作はできません" in body
    assert "審議会の事務局にお問い合わせください" in body
    assert "<h1>403 Forbidden</h1>" not in body


def test_the_refusal_page_speaks_english_to_a_person_who_chose_english(client, council):
    client.force_login(council.members[0])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = client.get(reverse("circulation_detail", args=[999_999]))
    body = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="en">' in body
    assert "Page not found" in body
    assert "ページが見つかりません" not in body


def test_opening_a_send_address_from_the_history_explains_instead_of_a_blank_page(client, council):
    """A POST-only address opened with GET (the browser's back button after a form error)."""
    circulation = draft_circulation(council, deadline=dt.datetime(2026, 9, 10, 17, 0, tzinfo=JST))
    client.force_login(council.secretariat)
    response = client.get(reverse("circulation_send", args=[circulation.pk]))
    assert response.status_code == 405
    body = response.content.decode()
    assert "このページは直接開けません" in body
    assert response["Allow"] == "POST"


def test_a_405_from_a_post_only_view_becomes_the_explaining_page(rf, council):
    from django.views.decorators.http import require_POST

    from portal.error_pages import MethodNotAllowedPageMiddleware

    request = rf.get("/c/1/reply/")
    request.user = council.members[0]
    request.session = {}
    response = MethodNotAllowedPageMiddleware(require_POST(lambda request: None))(request)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "このページは直接開けません" in response.content.decode()


def test_a_405_with_a_body_of_its_own_is_left_alone(rf):
    from django.http import HttpResponseNotAllowed

    from portal.error_pages import MethodNotAllowedPageMiddleware

    own = HttpResponseNotAllowed(["POST"], content=b"own")
    response = MethodNotAllowedPageMiddleware(lambda request: own)(rf.get("/"))
    assert response is own


def test_an_expired_form_shows_back_the_opinion_the_member_typed(council):
    """The CSRF check refuses a form left open too long: the opinion is shown back to copy,
    and nothing is recorded."""
    circulation = sent(council)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(council.members[0])
    opinion = "第3項の記載について、<根拠>を確認したい。"
    response = browser.post(
        reverse("circulation_reply", args=[circulation.pk]),
        {"kind": "opinion", "opinion": opinion, "meeting_needed": "yes", "password": "secret"},
    )
    assert response.status_code == 403
    body = response.content.decode()
    assert "画面の有効期限が切れました" in body
    assert "内容はまだ保存されていません" in body
    assert "第3項の記載について、&lt;根拠&gt;を確認したい。" in body  # escaped, shown whole
    assert "secret" not in body
    assert not circulation.recipients.filter(replies__isnull=False).exists()


def test_the_server_error_page_needs_nothing_but_says_it_in_both_languages():
    response = defaults.server_error(RequestFactory().get("/"))
    body = response.content.decode()
    assert response.status_code == 500
    assert "システムの不具合が起きました" in body
    assert "Server error" in body
    assert 'href="/"' in body


def test_the_bad_request_page_says_it_in_both_languages():
    response = defaults.bad_request(RequestFactory().get("/"), exception=None)
    body = response.content.decode()
    assert response.status_code == 400
    assert "要求を処理できません" in body
    assert "Bad request" in body
