"""An English reader sees the session's pages and mails in English: with English texts
typed (the council, the title, the agenda, names), no Japanese is left."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from circulation.mail.meeting import INVITATION
from circulation.models import OutboxMessage
from circulation.services.sessions import AgendaLine, schedule_session
from tests.i18n.test_catalogue import JAPANESE, visible_chrome
from tests.sessions.helpers import details

pytestmark = pytest.mark.django_db


def test_an_english_reader_sees_no_japanese_but_what_people_typed(
    client, council, moments, time_machine
):
    council.committee.name = "Resident Registry Council"
    council.committee.save()
    for person in (council.members[0], council.secretariat):
        person.full_name, person.language = "Tanaka Hanako", "en"
        person.save()
    for person in (council.chair, council.acting_chair, *council.members[1:]):
        person.full_name = "Someone Else"
        person.save()
    session = schedule_session(
        council.committee.pk, by=council.secretariat,
        details=details(moments, place="City Hall, room 501"), number=1, title="First session",
        agenda=[AgendaLine("Introductions"), AgendaLine("Election of the chair")],
    )  # fmt: skip
    client.cookies["django_language"] = "en"
    pages = {
        council.members[0]: ["session_detail"],
        council.secretariat: ["session_detail", "session_agenda", "session_material_add",
                              "session_change", "session_cancel", "session_record"],
    }  # fmt: skip
    for person, names in pages.items():
        client.force_login(person)
        for name in names:
            html = client.get(reverse(name, args=[session.pk])).content.decode()
            assert JAPANESE.findall(visible_chrome(html)) == [], name
    for name in ("session_list", "session_schedule"):
        html = client.get(reverse(name, args=[council.committee.pk])).content.decode()
        assert JAPANESE.findall(visible_chrome(html)) == [], name
    time_machine.move_to(session.starts_at + dt.timedelta(minutes=1), tick=False)
    client.force_login(council.secretariat)
    html = client.get(reverse("session_election", args=[session.pk])).content.decode()
    assert JAPANESE.findall(visible_chrome(html)) == []
    mail = OutboxMessage.objects.get(purpose=INVITATION, to_email="tanaka@example.jp")
    assert mail.subject.startswith("[Meeting notice]") and "Session 1 First session" in mail.subject
    for part in (mail.subject, mail.body_text, visible_chrome(mail.body_html)):
        assert JAPANESE.findall(part) == [], part
