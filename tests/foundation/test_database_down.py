"""The database out of reach (a restart, a network cut): members get a 503 with
Retry-After, in their language, with the reply or question they typed shown back — never a
500 that loses it. A connection kept from before a restart is replaced, not failed
(CONN_HEALTH_CHECKS)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import OperationalError, close_old_connections, connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.urls import reverse

from circulation.views import member as member_views
from tests.circulation.helpers import sent_circulation
from tests.circulation.web import reply_data

pytestmark = pytest.mark.django_db

OPINION = "第3項の表現を「原則として」に改めるべきです。"
QUESTION = "別添2の数値の出典を教えてください。"


@pytest.fixture
def browser():
    return Client(raise_request_exception=False)  # as a real server answers


@pytest.fixture
def database_down(monkeypatch):
    """Every new query fails as when PostgreSQL is restarting."""

    def refused(self):
        raise OperationalError('connection to server at "db", port 5432 failed: Connection refused')

    def go_down():
        monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refused)

    return go_down


def test_a_reply_typed_while_the_database_is_down_is_shown_back_with_503(
    browser, council, monkeypatch
):
    circulation = sent_circulation(council)
    browser.force_login(council.members[0])

    def database_gone(**arguments):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(member_views, "submit_reply", database_gone)
    response = browser.post(
        reverse("circulation_reply", args=[circulation.pk]), reply_data("opinion", OPINION)
    )
    body = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "ただいま処理できません" in body and "まだ保存されていません" in body
    assert OPINION in body  # nothing typed is lost
    assert 'lang="ja"' in body


def test_an_english_reader_gets_the_page_in_english_even_before_the_session_is_read(
    browser, council, database_down
):
    circulation = sent_circulation(council)
    browser.force_login(council.members[0])
    browser.cookies["django_language"] = "en"
    database_down()  # fails in the middleware already: no session, no user, no council
    response = browser.post(reverse("question_ask", args=[circulation.pk]), {"text": QUESTION})
    body = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert 'lang="en"' in body
    assert "ただいま処理できません" not in body  # translated
    assert QUESTION in body


def test_other_server_errors_stay_500(browser, council, monkeypatch):
    circulation = sent_circulation(council)
    browser.force_login(council.members[0])

    def broken(**arguments):
        raise RuntimeError("a bug")

    monkeypatch.setattr(member_views, "submit_reply", broken)
    response = browser.post(
        reverse("circulation_reply", args=[circulation.pk]), reply_data("opinion", OPINION)
    )
    assert response.status_code == 500
    assert "Retry-After" not in response


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_from_before_a_database_restart_is_replaced_not_failed():
    """The server ends every connection when it restarts; the next request's first query
    finds the kept connection dead and opens a new one (CONN_HEALTH_CHECKS)."""
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    db = connection.settings_dict
    with psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"],
                         dbname=db["NAME"], autocommit=True) as admin:  # fmt: skip
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    close_old_connections()  # what Django does as the next request starts
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
