"""A member's home shows the newest twenty of their other circulations; all of them, a page
at a time, are one link away (すべての書面照会). A member of many years does not scroll past
hundreds of old circulations on every visit, and finds any of them."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from circulation.models import Circulation
from circulation.reads.listings import HOME_OTHERS_SHOWN
from tests.circulation.helpers import sent_circulation

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def years_of_circulations(council) -> list[Circulation]:
    found = [sent_circulation(council, title=f"第{n}回 運用状況報告") for n in range(1, 26)]
    Circulation.objects.filter(pk__in=[c.pk for c in found]).update(
        state=Circulation.State.ARCHIVED
    )
    return found


def titles(body: str) -> list[str]:
    return re.findall(r"第\d+回 運用状況報告", body)


def test_the_home_shows_the_newest_twenty_and_links_to_all(council, years_of_circulations):
    body = client_for(council.members[0]).get(reverse("home")).content.decode()

    assert len(titles(body)) == HOME_OTHERS_SHOWN == 20
    assert "すべての書面照会を見る(ほか5件)" in body
    assert reverse("my_circulations") in body


def test_all_circulations_are_listed_a_page_at_a_time(council, years_of_circulations,
                                                      django_assert_max_num_queries):  # fmt: skip
    tanaka = client_for(council.members[0])
    with django_assert_max_num_queries(8):
        body = tanaka.get(reverse("my_circulations")).content.decode()
    assert sorted(titles(body)) == sorted(c.title for c in years_of_circulations)
    assert "次へ" not in body  # 25 rows: one page of 50


def test_a_short_history_has_no_link_and_others_see_only_their_own(council):
    sent_circulation(council, title="第1回 運用状況報告")
    body = client_for(council.members[0]).get(reverse("home")).content.decode()
    assert reverse("my_circulations") not in body
    outsider = client_for(council.outsider).get(reverse("my_circulations")).content.decode()
    assert titles(outsider) == [] and "書面照会はまだありません。" in outsider


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(reverse("my_circulations"))
    assert response.status_code == 302 and "login" in response.url
