"""The navigation and the warnings in the page header are worked out only when a template
shows them (they are lazy), and are still shown where they belong."""

from __future__ import annotations

import pytest
from django.template import engines
from django.test import RequestFactory

from circulation.jobs.due import run_due_work
from portal.context_processors import portal
from tests.performance.budgets import statements_of

pytestmark = pytest.mark.django_db

BEAT_WARNING = "定期処理(Celery beat)"


def test_the_secretariat_is_warned_while_beat_is_silent_and_members_never(client, council):
    client.force_login(council.secretariat)
    assert BEAT_WARNING in client.get("/").content.decode()
    run_due_work()
    assert BEAT_WARNING not in client.get("/").content.decode()
    client.force_login(council.members[0])
    assert BEAT_WARNING not in client.get("/").content.decode()


def test_a_template_that_shows_neither_costs_no_query(council):
    request = RequestFactory().get("/")
    request.user = council.secretariat
    template = engines["django"].from_string("<p>{{ user.full_name }}</p>")
    assert statements_of(lambda: template.render({}, request)) == []
    context = portal(request)
    assert [c.name for c in context["my_committees"]] == [council.committee.name]
    assert context["beat_stale"]  # beat never ran here


def test_a_heartbeat_just_read_is_not_read_again_on_the_next_page(client, council):
    """Beat ran: the secretariat's next pages do not ask the heartbeat again for a few
    seconds (the warning still appears the moment beat is found silent: see above)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run_due_work()
    client.force_login(council.secretariat)
    with CaptureQueriesContext(connection) as first:
        client.get("/")
    with CaptureQueriesContext(connection) as second:
        client.get("/")
    assert any("circulation_heartbeat" in q["sql"] for q in first.captured_queries)
    assert not any("circulation_heartbeat" in q["sql"] for q in second.captured_queries)


def test_a_silent_beat_is_not_read_again_until_it_ticks_and_then_shows_at_once(client, council):
    """Beat silent (never ran here): the reading is kept, so the next pages warn without
    asking the heartbeat again; beat's tick drops it, and the warning goes at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(council.secretariat)

    def page() -> tuple[str, bool]:
        with CaptureQueriesContext(connection) as queries:
            html = client.get("/").content.decode()
        return html, any("circulation_heartbeat" in q["sql"] for q in queries.captured_queries)

    html, read = page()
    assert BEAT_WARNING in html and read
    html, read = page()
    assert BEAT_WARNING in html and not read
    run_due_work()
    html, read = page()
    assert BEAT_WARNING not in html and read
