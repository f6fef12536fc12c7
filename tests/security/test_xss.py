"""XSS: a payload typed into every text the portal shows — titles, explanations (markdown),
material titles and file names, opinions, questions, answers, reasons, people's and
committees' names, mail subjects, senders and bodies, attachment names, log entries (the
user agent too) — never reaches a page, or a mail's HTML, as markup. Each page is also
checked to show the texts (escaped), so that a page that simply left them out cannot pass,
and to carry the Content-Security-Policy."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from circulation.models import OutboxMessage
from portal.auditlog.reviews import record_log_review
from portal.models import Role
from tests.factories import MembershipFactory, UserFactory
from tests.security.html import injected_markup, visible_text
from tests.security.world import OTHER, OWN, Texts, World, build_side

pytestmark = pytest.mark.django_db


def payload(field: str) -> str:
    """Markup that would run if a page did not escape it; `field` tells them apart."""
    return f'{field}<script>alert("{field}")</script>"><img src=x onerror=alert(1)><svg onload=alert(1)>'  # noqa: E501


def shown(field: str) -> str:
    """What a reader sees where the payload of `field` was escaped properly."""
    return f'<script>alert("{field}")</script>'


TEXTS = Texts(
    title=payload("TITLE"),
    explanation=(
        payload("EXPLANATION")
        + '\n\n[EXPLAINED-LINK](javascript:alert(1)) and <a href="javascript:alert(2)">x</a>'
        + '\n\n<iframe src="https://evil.example/"></iframe>'
    ),
    material_title=payload("MATERIAL"),
    file_name=payload("FILE") + ".pdf",
    opinion=payload("OPINION"),
    question=payload("QUESTION"),
    answer=payload("ANSWER"),
    extension_reason=payload("EXTENSION"),
    decision_reason=payload("DECISION"),
    mail_subject=payload("SUBJECT"),
    mail_from_name=payload("FROM"),
    mail_body="意見なし\n" + payload("BODY"),
    attachment_name=payload("ATTACHMENT") + ".txt",
    invitee_name=payload("INVITEE"),
    meeting_place=payload("PLACE"),
    meeting_note=payload("NOTE") + "\n\n[NOTE-LINK](javascript:alert(1)) <iframe src=x></iframe>",
    minutes_title=payload("MINUTES"),
)
USER_AGENT = payload("AGENT")


@pytest.fixture
def world(council) -> World:
    council.committee.name = payload("COMMITTEE")
    council.committee.save()
    for user, field in ((council.members[0], "MEMBER"), (council.chair, "CHAIR"),
                        (council.secretariat, "SECRETARIAT")):  # fmt: skip
        user.full_name = payload(field)
        user.save()
    other_chair = UserFactory(email="kondo@example.jp", full_name="近藤 会長")
    other_member = UserFactory(email="endo@example.jp", full_name="遠藤 委員")
    MembershipFactory(user=other_chair, committee=council.other_committee, role=Role.CHAIR)
    MembershipFactory(user=other_member, committee=council.other_committee, role=Role.MEMBER)
    own = build_side(
        council.committee, secretariat=council.secretariat, chair=council.chair,
        member=council.members[0], texts=TEXTS, invitee_email="arai@example.jp",
    )  # fmt: skip
    other = build_side(
        council.other_committee, secretariat=council.other_secretariat, chair=other_chair,
        member=other_member, invitee_email="okada@example.jp",
    )  # fmt: skip
    today = timezone.localdate()
    record_log_review(
        committee=council.committee, reviewer=council.secretariat,
        period_start=today - dt.timedelta(days=30), period_end=today - dt.timedelta(days=1),
        result="issues", findings=payload("FINDINGS"),
    )  # fmt: skip
    return World(sides={OWN: own, OTHER: other}, people={
        "secretariat": council.secretariat, "chair": council.chair,
        "member": council.members[0], "outsider": council.outsider,
    })  # fmt: skip


def check_page(response, *fields: str, allow_missing: tuple[str, ...] = ()) -> None:
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert injected_markup(html) == [], response.wsgi_request.path
    assert "'unsafe-inline'" not in response["Content-Security-Policy"].split("style-src")[0]
    assert "script-src 'self'" in response["Content-Security-Policy"]
    text = visible_text(html)
    missing = [f for f in fields if shown(f) not in text and f not in allow_missing]
    assert missing == [], f"{response.wsgi_request.path} does not show {missing}"


def client_for(user, *, agent: str = USER_AGENT) -> Client:
    client = Client(HTTP_USER_AGENT=agent)
    if user is not None:
        client.force_login(user)
    return client


def test_the_member_sees_every_text_of_the_circulation_as_text(world):
    own = world.side(OWN)
    member = client_for(world.people["member"])
    check_page(member.get(reverse("home")), "TITLE", "COMMITTEE")
    detail = member.get(reverse("circulation_detail", args=[own.open.pk]))
    check_page(detail, "TITLE", "MATERIAL", "OPINION", "QUESTION", "ANSWER", "EXTENSION",
               "COMMITTEE")  # fmt: skip
    html = detail.content.decode()
    # Markdown: raw HTML is removed by the sanitiser, links lose their javascript: target.
    assert "EXPLANATION" in visible_text(html)
    assert "EXPLAINED-LINK" in visible_text(html)
    assert "evil.example" not in html
    check_page(member.get(reverse("circulation_reply_done", args=[own.open.pk])), "OPINION")
    check_page(member.get(reverse("decision_record", args=[own.decided.pk])),
               "TITLE", "OPINION", "DECISION")  # fmt: skip
    check_page(member.get(reverse("committee_detail", args=[own.committee.pk])),
               "COMMITTEE", "MEMBER", "CHAIR")  # fmt: skip


def test_the_meeting_and_its_minutes_are_shown_as_text(world):
    """The venue, the note (markdown) and the minutes' title on every page that shows them,
    to a member and to the secretariat; then to the member once the minutes are published."""
    own = world.side(OWN)
    member = client_for(world.people["member"])
    meeting_page = member.get(reverse("meeting_detail", args=[own.decided.pk]))
    check_page(meeting_page, "TITLE", "PLACE", "COMMITTEE")
    html = meeting_page.content.decode()
    assert "NOTE" in visible_text(html) and "NOTE-LINK" in visible_text(html)
    assert "javascript:" not in html and "<iframe" not in html
    check_page(member.get(reverse("home")), "TITLE", "PLACE", "COMMITTEE")
    check_page(member.get(reverse("circulation_detail", args=[own.decided.pk])),
               "TITLE", "PLACE")  # fmt: skip
    sato = client_for(world.people["secretariat"])
    pages = {
        ("meeting_detail", own.held.pk): ("TITLE", "PLACE", "MINUTES"),
        ("meeting_change", own.decided.pk): ("TITLE",),  # the rest is in the form's fields
        ("meeting_cancel", own.decided.pk): ("TITLE", "PLACE"),
        ("meeting_schedule", own.convened.pk): ("TITLE", "COMMITTEE"),
        ("meeting_minutes_upload", own.held.pk): ("TITLE", "COMMITTEE"),
        ("circulation_decision", own.decided.pk): ("TITLE", "PLACE"),
    }  # fmt: skip
    for (name, pk), fields in pages.items():
        check_page(sato.get(reverse(name, args=[pk])), *fields)
    published = sato.post(reverse("meeting_minutes_publish", args=[own.held.pk]),
                          {"minutes": str(own.minutes.pk)}, follow=True)  # fmt: skip
    check_page(published, "TITLE", "MINUTES")
    check_page(member.get(reverse("meeting_detail", args=[own.held.pk])), "MINUTES", "PLACE")
    check_page(member.get(reverse("decision_record", args=[own.held.pk])), "MINUTES", "PLACE")


def test_the_chair_sees_opinions_names_and_reasons_as_text(world):
    own = world.side(OWN)
    chair = client_for(world.people["chair"])
    check_page(chair.get(reverse("circulation_decision", args=[own.decided.pk])),
               "TITLE", "OPINION", "MEMBER", "DECISION")  # fmt: skip
    check_page(chair.get(reverse("decision_record", args=[own.decided.pk])),
               "TITLE", "OPINION", "MEMBER", "DECISION")  # fmt: skip


def test_the_secretariat_sees_every_text_as_text(world):
    own = world.side(OWN)
    sato = client_for(world.people["secretariat"])
    pages = {
        ("circulation_tracking", own.open.pk): ("TITLE", "MEMBER", "OPINION", "QUESTION",
                                                "ANSWER", "EXTENSION"),
        ("circulation_questions", own.open.pk): ("TITLE", "QUESTION", "ANSWER", "MEMBER"),
        ("circulation_links", own.open.pk): ("TITLE", "MEMBER"),
        ("circulation_extend", own.open.pk): ("TITLE",),
        ("circulation_preview", own.draft.pk): ("TITLE", "MATERIAL"),
        ("circulation_edit", own.draft.pk): (),  # the texts are in the form's fields
        ("circulation_discard", own.draft.pk): ("TITLE",),
        ("circulation_decision", own.decided.pk): ("TITLE", "OPINION", "MEMBER", "DECISION"),
        ("decision_record", own.decided.pk): ("TITLE", "OPINION", "MEMBER", "DECISION"),
        ("committee_circulations", own.committee.pk): ("TITLE", "COMMITTEE"),
        ("committee_detail", own.committee.pk): ("COMMITTEE", "MEMBER", "CHAIR"),
        ("committee_members", own.committee.pk): ("COMMITTEE", "MEMBER", "CHAIR", "INVITEE"),
        ("committee_member_add", own.committee.pk): ("COMMITTEE",),
        ("inbound_list", own.committee.pk): ("SUBJECT", "FROM"),
        ("audit_log_reviews", own.committee.pk): ("FINDINGS",),
    }  # fmt: skip
    for (name, pk), fields in pages.items():
        check_page(sato.get(reverse(name, args=[pk])), *fields)
    check_page(sato.get(reverse("material_correct", args=[own.open.pk, own.material.pk])),
               "TITLE")  # fmt: skip
    check_page(sato.get(reverse("committee_member_detail",
                                args=[own.committee.pk, own.membership.pk])), "MEMBER")  # fmt: skip
    check_page(sato.get(reverse("inbound_detail", args=[own.committee.pk, own.message.pk])),
               "SUBJECT", "FROM", "BODY", "TITLE")  # fmt: skip
    edit = sato.get(reverse("circulation_edit", args=[own.draft.pk])).content.decode()
    assert payload("TITLE").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;") \
        in edit  # the title is in its input, escaped  # fmt: skip


def test_the_operation_log_shows_user_agents_titles_and_addresses_as_text(world):
    own = world.side(OWN)
    # Requests with the payload as their user agent; a failed login with a payload address.
    client_for(world.people["member"]).get(reverse("circulation_detail", args=[own.open.pk]))
    client_for(world.people["outsider"]).get(reverse("circulation_detail", args=[own.open.pk]))
    Client(HTTP_USER_AGENT=USER_AGENT).post(
        reverse("account_login"), {"login": "x@example.jp" + payload("LOGIN"), "password": "x"}
    )
    sato = client_for(world.people["secretariat"])
    log = sato.get(reverse("audit_log"), {"committee": own.committee.pk})
    check_page(log, "AGENT", "TITLE", "MEMBER")
    export = sato.get(reverse("audit_log_export"), {"committee": own.committee.pk})
    assert export["Content-Type"].startswith("text/csv")


def test_pages_opened_from_a_mail_link_show_the_texts_as_text(world):
    own = world.side(OWN)
    anonymous = client_for(None)
    check_page(anonymous.get(reverse("reply_link", args=[own.link_token])),
               "TITLE", "COMMITTEE", "MEMBER")  # fmt: skip
    check_page(anonymous.get(reverse("invitation_accept", args=[own.invitation_token])),
               "COMMITTEE")  # fmt: skip


def test_flash_messages_with_a_title_or_a_name_stay_text(world):
    own = world.side(OWN)
    sato = client_for(world.people["secretariat"])
    discarded = sato.post(reverse("circulation_discard", args=[own.draft.pk]), follow=True)
    check_page(discarded, "TITLE")
    revoked = sato.post(reverse("revoke_links", args=[own.open.pk, own.recipient.pk]), follow=True)
    check_page(revoked, "MEMBER")


def test_no_mail_carries_the_payload_as_markup(world):
    """Every mail the process sent (notice, receipts, Q&A, extension, closing summary,
    decision, meeting invitation, held mail, invitation) has the texts escaped in its HTML
    part."""
    own = world.side(OWN)
    mails = OutboxMessage.objects.filter(to_email__in=[
        world.people["member"].email, world.people["chair"].email,
        world.people["secretariat"].email, "arai@example.jp",
    ])  # fmt: skip
    purposes = set(mails.values_list("purpose", flat=True))
    assert len(purposes) >= 6, purposes
    for mail in mails:
        assert injected_markup(mail.body_html) == [], mail.purpose
        assert "&lt;" not in mail.subject + mail.body_text, mail.purpose  # text is not HTML
    notice = mails.get(purpose="circulation.notice", circulation=own.open,
                       to_email=world.people["member"].email)  # fmt: skip
    assert shown("TITLE") in visible_text(notice.body_html)
    # Subject and text part are plain text: the title arrives exactly as typed.
    assert payload("TITLE") in notice.subject
    assert payload("TITLE") in notice.body_text
    invitation = mails.get(purpose="meeting.invitation", circulation=own.decided,
                           to_email=world.people["member"].email)  # fmt: skip
    assert shown("PLACE") in visible_text(invitation.body_html)
    assert payload("PLACE") in invitation.body_text and payload("NOTE") in invitation.body_text


def test_the_csv_of_replies_neutralises_formulas(world, council):
    """A spreadsheet must not run an opinion or a name as a formula."""
    from circulation.models import Recipient
    from circulation.services.replies import submit_reply

    own = world.side(OWN)
    council.members[1].full_name = '=HYPERLINK("http://evil.example","x")'
    council.members[1].save()
    recipient = Recipient.objects.get(circulation=own.open, user=council.members[1])
    submit_reply(recipient=recipient, kind="opinion", opinion="+cmd|' /C calc'!A0",
                 submitted_by=council.members[1])  # fmt: skip
    client = client_for(world.people["secretariat"])
    response = client.get(reverse("decision_record_csv", args=[own.open.pk]))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert [c for c in cells if c.startswith(("=", "+", "-", "@"))] == []
    assert '\'=HYPERLINK("http://evil.example","x")' in cells
    assert "'+cmd|' /C calc'!A0" in cells
