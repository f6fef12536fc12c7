"""The tracking page's table (送付先ごとの状況) is filtered and paged: the secretariat of a
1,000-member council picks 未回答, 意見あり and the like and reads 50 rows at a time, while
the counts at the top stay those of the whole circulation. A council of 10–30 members sees
its whole table on one page, with no pager, as before."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils import translation

from circulation.models import Circulation
from circulation.reads.tracking import TRACKING_PAGE_SIZE, Tracking
from circulation.services.materials import record_material_opening
from circulation.services.replies import submit_reply
from circulation.services.sending import send_circulation
from portal.models import Role
from tests.circulation.conftest import JST
from tests.circulation.helpers import draft_circulation
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]
DEADLINE = dt.datetime(2026, 9, 10, 17, 0, tzinfo=JST)


def tracking_page(client, circulation: Circulation, query: str = "") -> str:
    response = client.get(reverse("circulation_tracking", args=[circulation.pk]) + query)
    assert response.status_code == 200
    return response.content.decode()


def names(body: str) -> list[str]:
    """The people of the table's rows, in the order shown."""
    return re.findall(
        r'<tr class="tracking-row" id="recipient-\d+">\s*<th scope="row">([^<]+)<', body
    )


def count(body: str, name: str) -> int:
    return int(re.search(rf'id="count-{name}">(\d+)<', body).group(1))


def filter_nav(body: str) -> str:
    return body.split('class="filter-links')[1].split("</nav>")[0]


def filter_links(body: str) -> dict[str, str]:
    """Each filter link's text, by the value of its ?show= ("all" for すべて)."""
    found = re.findall(
        r'<a href="[^"?#]*(?:\?show=(\w+))?#[^"]*"[^>]*>([^<]+)</a>', filter_nav(body)
    )
    return {key or "all": text for key, text in found}


def current_filter(body: str) -> str:
    return re.findall(r'aria-current="page">([^<]+)<', filter_nav(body))[0]


def pager(body: str) -> str | None:
    parts = body.split('<nav class="pager')
    return parts[1].split("</nav>")[0] if len(parts) > 1 else None


def status(body: str) -> str:
    return re.search(r'<p id="page-status">([^<]+)</p>', body).group(1)


# --- A council of five: the filters ---------------------------------------------------------


@pytest.fixture
def replies_coming_in(council) -> Circulation:
    """山田 has an opinion, not saying whether to meet; 田中 has an opinion and wants a
    meeting; 高橋 has none (by mail); 伊藤 opened the material but has not replied;
    鈴木 has done nothing yet."""
    circulation = send_circulation(
        draft_circulation(council, deadline=DEADLINE).pk, by=council.secretariat
    )
    tanaka, takahashi, ito = council.members
    material = circulation.materials.get()
    for person in (council.chair, tanaka, ito):
        record_material_opening(material, user=person, inline=False)
    recipient = {r.user_id: r for r in circulation.recipients.all()}
    submit_reply(recipient=recipient[council.chair.pk], kind="opinion", opinion="賛成です。",
                 submitted_by=council.chair)  # fmt: skip
    submit_reply(recipient=recipient[tanaka.pk], kind="opinion", opinion="審議したい。",
                 meeting_needed=True, submitted_by=tanaka)  # fmt: skip
    submit_reply(recipient=recipient[takahashi.pk], kind="no_opinion", meeting_needed=False,
                 channel="mail")  # fmt: skip
    return circulation


@pytest.mark.parametrize(
    ("show", "people"),
    [
        ("", ["伊藤 委員", "山田 会長", "田中 委員", "鈴木 代理", "高橋 委員"]),
        ("?show=not_replied", ["伊藤 委員", "鈴木 代理"]),
        ("?show=replied", ["山田 会長", "田中 委員", "高橋 委員"]),
        ("?show=with_opinion", ["山田 会長", "田中 委員"]),
        ("?show=meeting_needed", ["田中 委員"]),
        ("?show=not_opened", ["鈴木 代理", "高橋 委員"]),
    ],
)
def test_each_filter_shows_its_people_in_the_usual_order(
    client, council, replies_coming_in, show, people
):
    client.force_login(council.secretariat)
    body = tracking_page(client, replies_coming_in, show)
    assert names(body) == people
    assert names(body) == sorted(names(body))  # by name, as the table always was


def test_the_filter_row_counts_each_choice_over_the_whole_circulation(
    client, council, replies_coming_in
):
    client.force_login(council.secretariat)
    body = tracking_page(client, replies_coming_in)
    assert filter_links(body) == {
        "all": "すべて (5)",
        "not_replied": "未回答 (2)",
        "replied": "回答済み (3)",
        "with_opinion": "意見あり (2)",
        "meeting_needed": "審議が必要 (1)",
        "not_opened": "資料を開いていない (2)",
    }
    assert 'aria-label="送付先の絞り込み"' in body


def test_the_current_filter_is_marked_and_the_counts_at_the_top_do_not_change(
    client, council, replies_coming_in
):
    client.force_login(council.secretariat)
    for show, label in [("", "すべて (5)"), ("?show=meeting_needed", "審議が必要 (1)")]:
        body = tracking_page(client, replies_coming_in, show)
        assert current_filter(body) == label
        assert filter_nav(body).count("aria-current") == 1
        assert (count(body, "recipients"), count(body, "replied")) == (5, 3)
        assert (count(body, "not-replied"), count(body, "opened")) == (2, 3)


@pytest.mark.parametrize("junk", ["?show=everyone", "?show=", "?show=%3Cscript%3E", "?show=all"])
def test_an_unknown_filter_shows_everyone(client, council, replies_coming_in, junk):
    client.force_login(council.secretariat)
    body = tracking_page(client, replies_coming_in, junk)
    assert len(names(body)) == 5
    assert current_filter(body) == "すべて (5)"


@pytest.fixture
def in_english(client):
    """The language switch set to English. The locale middleware leaves the language of the
    last request active in the thread: put Japanese back, so no later test runs in English."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    yield
    translation.deactivate()


@pytest.mark.usefixtures("in_english")
def test_the_filter_row_speaks_english_too(client, council, replies_coming_in):
    client.force_login(council.secretariat)
    body = tracking_page(client, replies_coming_in, "?show=not_opened")
    assert filter_links(body) == {
        "all": "All (5)",
        "not_replied": "Not replied (2)",
        "replied": "Replied (3)",
        "with_opinion": "I have an opinion (2)",
        "meeting_needed": "A meeting is needed (1)",
        "not_opened": "Materials not opened (2)",
    }


def test_a_filter_nobody_matches_says_so_instead_of_an_empty_table(client, council):
    circulation = send_circulation(
        draft_circulation(council, deadline=DEADLINE).pk, by=council.secretariat
    )
    client.force_login(council.secretariat)
    body = tracking_page(client, circulation, "?show=replied")
    assert names(body) == []
    assert "該当する送付先はありません。" in body
    assert '<table class="tracking">' not in body


def test_a_small_council_sees_every_row_and_no_pager(client, council, replies_coming_in):
    client.force_login(council.secretariat)
    body = tracking_page(client, replies_coming_in)
    assert len(names(body)) == 5
    assert pager(body) is None
    assert 'id="page-status"' not in body
    # Asking for a page that does not exist changes nothing.
    assert names(tracking_page(client, replies_coming_in, "?page=2")) == names(body)


# --- A council of 120: paging ----------------------------------------------------------------


@pytest.fixture
def large_circulation(council) -> Circulation:
    """120 recipients (the five personas and 115 more); ten of the extra members replied."""
    for n in range(115):
        MembershipFactory(
            user=UserFactory(email=f"extra{n:03}@example.jp", full_name=f"追加 委員{n:03}"),
            committee=council.committee,
            role=Role.MEMBER,
            term_start=dt.date(2026, 4, 1),
            term_end=dt.date(2028, 3, 31),
        )
    circulation = send_circulation(
        draft_circulation(council, deadline=DEADLINE).pk, by=council.secretariat
    )
    extra = circulation.recipients.filter(user__full_name__startswith="追加").select_related("user")
    for recipient in extra.order_by("user__full_name")[:10]:
        submit_reply(recipient=recipient, kind="no_opinion", submitted_by=recipient.user)
    assert circulation.recipients.count() == 120
    return circulation


def test_120_recipients_are_shown_50_to_a_page(client, council, large_circulation):
    assert TRACKING_PAGE_SIZE == 50
    client.force_login(council.secretariat)
    first = tracking_page(client, large_circulation)
    second = tracking_page(client, large_circulation, "?page=2")
    third = tracking_page(client, large_circulation, "?page=3")
    assert [len(names(page)) for page in (first, second, third)] == [50, 50, 20]
    everyone = names(first) + names(second) + names(third)
    assert len(set(everyone)) == 120 and everyone == sorted(everyone)
    assert status(first) == "120件中 1–50件目"
    assert status(third) == "120件中 101–120件目"
    assert 'aria-label="ページ"' in first


def test_the_pager_goes_back_and_forth(client, council, large_circulation):
    client.force_login(council.secretariat)
    first = pager(tracking_page(client, large_circulation))
    assert "前へ" not in first and 'href="?page=2#recipients-heading" rel="next">次へ' in first
    assert 'href="?page=1#recipients-heading" aria-current="page">1<' in first
    second = pager(tracking_page(client, large_circulation, "?page=2"))
    assert 'href="?page=1#recipients-heading" rel="prev">前へ' in second
    assert 'href="?page=3#recipients-heading" rel="next">次へ' in second
    assert 'aria-current="page">2<' in second
    third = pager(tracking_page(client, large_circulation, "?page=3"))
    assert "次へ" not in third and "前へ" in third


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("?page=abc", "120件中 1–50件目"),  # junk: the first page
        ("?page=", "120件中 1–50件目"),
        ("?page=2.5", "120件中 1–50件目"),
        ("?page=99", "120件中 101–120件目"),  # beyond the end: the last page
        ("?page=99999999999999999999", "120件中 101–120件目"),
        ("?page=-1", "120件中 101–120件目"),  # as Paginator.get_page does
    ],
)
def test_a_page_number_that_does_not_exist_shows_a_page_that_does(
    client, council, large_circulation, query, shown
):
    client.force_login(council.secretariat)
    assert status(tracking_page(client, large_circulation, query)) == shown


def test_the_filter_survives_paging(client, council, large_circulation):
    client.force_login(council.secretariat)
    first = tracking_page(client, large_circulation, "?show=not_replied")
    assert status(first) == "110件中 1–50件目"
    assert 'href="?show=not_replied&amp;page=2#recipients-heading" rel="next"' in pager(first)
    last = tracking_page(client, large_circulation, "?show=not_replied&page=3")
    assert status(last) == "110件中 101–110件目"
    assert current_filter(last) == "未回答 (110)"
    replied = {r.user.full_name for r in large_circulation.recipients.filter(
        current_reply__isnull=False).select_related("user")}  # fmt: skip
    assert len(names(last)) == 10 and not replied & set(names(last))
    # Choosing another filter starts again from its first page.
    assert "page=" not in filter_nav(last)


def test_the_counts_are_of_the_whole_circulation_on_every_page(client, council, large_circulation):
    client.force_login(council.secretariat)
    for query in ("", "?page=3", "?show=replied", "?show=not_replied&page=2"):
        body = tracking_page(client, large_circulation, query)
        assert (count(body, "recipients"), count(body, "replied")) == (120, 10), query
        assert count(body, "not-replied") == 110
        assert filter_links(body)["replied"] == "回答済み (10)"


def test_a_filter_with_a_single_page_has_no_pager(client, council, large_circulation):
    client.force_login(council.secretariat)
    body = tracking_page(client, large_circulation, "?show=replied")
    assert len(names(body)) == 10
    assert pager(body) is None


@pytest.mark.usefixtures("in_english")
def test_the_pager_speaks_english_too(client, council, large_circulation):
    client.force_login(council.secretariat)
    body = tracking_page(client, large_circulation, "?page=2")
    assert status(body) == "51–100 of 120"
    assert 'rel="prev">Previous<' in pager(body) and 'rel="next">Next<' in pager(body)


def test_a_long_pager_leaves_out_the_pages_far_from_the_current_one():
    """1,000 recipients are 20 pages: the pager links the ends and the pages around the one
    shown, and leaves a gap (…) for the rest."""
    page = Paginator(range(1000), TRACKING_PAGE_SIZE).get_page(10)
    assert Tracking(page=page).page_numbers == [1, None, 8, 9, 10, 11, 12, None, 20]


# --- Who may look ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["other_secretariat", "outsider"])
def test_query_parameters_open_nothing_to_another_committee(
    client, council, large_circulation, who
):
    client.force_login(getattr(council, who))
    url = reverse("circulation_tracking", args=[large_circulation.pk])
    for query in ("?show=not_replied&page=2", "?page=3", "?show=with_opinion"):
        assert client.get(url + query).status_code == 404


def test_a_member_still_may_not_track_with_a_filter(client, council, large_circulation):
    client.force_login(council.members[0])
    url = reverse("circulation_tracking", args=[large_circulation.pk]) + "?show=replied"
    assert client.get(url).status_code == 403
