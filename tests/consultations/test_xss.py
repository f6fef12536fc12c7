"""XSS on the consultation's pages and mails: a payload typed into every text a consultation
shows — title, implementing body, 諮問理由 (markdown), items, opinions, proposed and adopted
riders, reasons, statements of the meeting, the rider's response — never reaches a page, or
a mail's HTML, as markup; each page shows the texts (escaped)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from circulation.models import Consultation, OutboxMessage, Rider
from circulation.services.consultation_results import (
    RiderDraft,
    StatementDraft,
    add_statements,
    confirm_written_result,
)
from circulation.services.consultations import ConsultationContent, update_consultation
from circulation.services.drafts import DraftContent
from circulation.services.reports import issue_report
from circulation.services.riders import record_rider_response
from circulation.services.sending import send_circulation
from tests.consultations import helpers as h
from tests.security.html import injected_markup

pytestmark = pytest.mark.django_db


def payload(field: str) -> str:
    return f'{field}<script>alert("{field}")</script>"><img src=x onerror=alert(1)>'


def test_no_consultation_text_reaches_a_page_or_a_mail_as_markup(client, council, body):
    circulation = h.register(council, staff=[body], items=["x"])
    draft = DraftContent(title=payload("TITLE"), explanation=payload("EXPLANATION"),
                         deadline=circulation.deadline,
                         recipient_ids=[m.pk for m in council.members])  # fmt: skip
    content = ConsultationContent(
        number=65, department=payload("DEPARTMENT"), staff_ids=[body.pk],
        received_on=h.today(), reason=payload("REASON"), items=[payload("ITEM")],
    )  # fmt: skip
    update_consultation(circulation.pk, by=council.secretariat, revision=circulation.revision,
                        draft=draft, content=content)  # fmt: skip
    send_circulation(circulation.pk, by=council.secretariat)
    for member in council.members:
        h.vote(circulation, member, "approve", opinion=payload("OPINION"), rider=payload("RIDER"))
    circulation = h.closed(circulation)
    item = h.items_of(circulation)[0]
    confirm_written_result(
        circulation.pk, by=council.chair, results={item.pk: "approved"},
        riders=[RiderDraft(payload("ADOPTED"))], reasons=payload("REASONS"),
    )  # fmt: skip
    add_statements(circulation.pk, by=council.secretariat,
                   statements=[StatementDraft("qa", "member", payload("STATEMENT"))])  # fmt: skip
    issue_report(circulation.pk, by=council.secretariat, report_date=dt.date(2026, 10, 1),
                 version=Consultation.objects.get(pk=circulation.pk).report_version)  # fmt: skip
    rider = Rider.objects.get(consultation_id=circulation.pk)
    record_rider_response(rider.pk, by=body, text=payload("RESPONSE"), responded_on=h.today(),
                          done=False)  # fmt: skip
    pages = {
        council.secretariat: ["consultation_detail", "consultation_votes", "consultation_result",
                              "consultation_report", "consultation_record",
                              "consultation_statements"],
        body: ["consultation_detail", "consultation_report"],
    }  # fmt: skip
    for person, names in pages.items():
        client.force_login(person)
        for name in names:
            html = client.get(reverse(name, args=[circulation.pk])).content.decode()
            assert injected_markup(html) == [], (name, injected_markup(html))
            assert "&lt;script&gt;" in html, name  # the texts are there, escaped
    client.force_login(council.secretariat)
    for name in ("committee_riders", "consultation_list"):
        html = client.get(reverse(name, args=[council.committee.pk])).content.decode()
        assert injected_markup(html) == [], name
    for mail in OutboxMessage.objects.filter(circulation=circulation).exclude(body_html=""):
        assert injected_markup(mail.body_html) == [], (
            mail.purpose,
            injected_markup(mail.body_html),
        )
