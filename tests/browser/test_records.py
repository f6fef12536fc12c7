"""The public records (公開記録) as a visitor without an account reads them, and the
secretariat's minutes pages: axe finds nothing serious or critical, the pages have one
<h1>, a title of their own, labelled controls and visible focus, and load nothing from
another host (the public pages: nothing but their page and their one stylesheet)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from circulation.models import Minutes
from circulation.reads.minutes import MinutesContent
from circulation.services.minutes_drafts import (
    approve_minutes,
    revise_minutes,
    send_for_check,
    start_session_minutes,
)
from circulation.services.publication import request_publication
from tests.browser.a11y import check_page
from tests.browser.helpers import login, network_of
from tests.records.scenes import SECRET, held_session, written_minutes


def _published(council) -> Minutes:
    meeting = held_session(council)
    minutes = start_session_minutes(meeting.pk, by=council.secretariat)
    revise_minutes(minutes.pk, by=council.secretariat, base_version=1,
                   content=written_minutes(MinutesContent.of(minutes.versions.get())))  # fmt: skip
    send_for_check(minutes.pk, by=council.secretariat,
                   deadline=timezone.now() + dt.timedelta(days=7),
                   checker_ids=[council.members[0].pk])  # fmt: skip
    approve_minutes(minutes.pk, by=council.chair, version=2)
    request_publication(minutes.pk, by=council.secretariat, version=2)
    return minutes


def test_public_records_are_accessible_and_load_only_their_stylesheet(new_page, council):
    minutes = _published(council)
    for device in ("desktop", "phone"):
        page = new_page(device)
        page.goto("/records/")
        check_page(page, languages=("ja",))
        page.get_by_role("link", name=council.committee.name).click()
        page.wait_for_load_state()
        check_page(page, languages=("ja",))
        page.goto(f"/records/{council.committee.pk}/{minutes.pk}/")
        assert page.get_by_role("heading", level=2, name="質疑").is_visible()
        check_page(page, languages=("ja",))
        assert SECRET not in page.content()
        assert page.locator("script").count() == 0
        paths = {u.split("/", 3)[-1] for u in network_of(page).urls}
        assert all(p.startswith(("records/", "static/")) for p in paths), paths


def test_the_secretariats_minutes_pages_are_accessible(desktop, council):
    minutes = _published(council)
    login(desktop, council.secretariat.email)
    for path in (
        f"/c/council/{council.committee.pk}/minutes/",
        f"/c/minutes/{minutes.pk}/",
        f"/c/minutes/{minutes.pk}/edit/",
        f"/c/minutes/{minutes.pk}/preview/",
    ):
        desktop.goto(path)
        check_page(desktop)
