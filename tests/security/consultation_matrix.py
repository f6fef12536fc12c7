"""The consultations' (諮問) rows of the permission matrix and the objects they point at.

Each side's council gets, through the real services, a consultation of each state: a draft,
one open for votes (its member voted), one closed awaiting the chair, one decided and not
yet issued, and one issued with a rider. Its implementing-body staff is the matrix's
"implementing_body" (木村 on the own council); "other_body" (森) holds the same role on the
same council but is named for another consultation only: every consultation URL is a 404 to
him, as to somebody of another council.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import time_machine
from django.utils import timezone

from circulation.mail.tokens import Purpose, make_token
from circulation.models import Circulation, Consultation, Recipient, Rider
from circulation.services.closing import close_circulation
from circulation.services.consultation_results import (
    RiderDraft,
    confirm_written_result,
)
from circulation.services.consultations import ConsultationContent, register_consultation
from circulation.services.drafts import DraftContent, sitting_memberships
from circulation.services.reports import issue_report
from circulation.services.sending import send_circulation
from circulation.services.votes import ItemChoice, submit_votes
from portal.models import Committee, User
from tests.security.urlmatrix import PERSONAS, Expectation, expect


@dataclass
class Consultations:
    draft: Circulation
    open: Circulation
    closed: Circulation
    decided: Circulation  # the written result confirmed, the report not issued
    issued: Circulation  # with one rider
    recipient: Recipient  # the side's member, on the open consultation
    rider: Rider
    vote_token: str  # the member's vote link on the open consultation


def _register(committee: Committee, secretariat: User, staff: User, number: int) -> Circulation:
    draft = DraftContent(
        title=f"諮問の件 {number}",
        explanation="",
        deadline=timezone.now() + dt.timedelta(days=5),
        recipient_ids=[m.user_id for m in sitting_memberships(committee, timezone.localdate())],
    )
    content = ConsultationContent(
        number=number, department="市民生活部", staff_ids=[staff.pk],
        received_on=timezone.localdate(), reason="理由", items=["議題"],
    )  # fmt: skip
    return register_consultation(committee, by=secretariat, draft=draft, content=content)


def _sent(committee, secretariat, staff, number: int) -> Circulation:
    circulation = _register(committee, secretariat, staff, number)
    # A material, as sending wants one: the same checked PDF as the other objects.
    from django.core.files.base import ContentFile

    from circulation.services.materials import NewMaterial, store_material
    from circulation.uploads.checks import check_upload
    from tests.circulation.helpers import PDF_BYTES

    upload = check_upload(ContentFile(PDF_BYTES, name="諮問書.pdf"))
    store_material(circulation, NewMaterial("諮問書", 1, upload), by=secretariat,
                   now=timezone.now())  # fmt: skip
    return send_circulation(circulation.pk, by=secretariat)


def _vote_all(circulation: Circulation) -> None:
    item = circulation.consultation.items.get()
    for recipient in circulation.recipients.select_related("user"):
        submit_votes(recipient=recipient, choices=[ItemChoice(item.pk, "approve")],
                     submitted_by=recipient.user)  # fmt: skip


def _closed(circulation: Circulation) -> Circulation:
    close_circulation(circulation.pk, now=circulation.deadline + dt.timedelta(seconds=1))
    return circulation


def build_consultations(
    committee: Committee, *, secretariat: User, chair: User, member: User, staff: User
) -> Consultations:
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=10), tick=False):
        closed = _sent(committee, secretariat, staff, 2)
        decided = _sent(committee, secretariat, staff, 3)
        issued = _sent(committee, secretariat, staff, 4)
        for circulation in (closed, decided, issued):
            _vote_all(circulation)
    with time_machine.travel(now - dt.timedelta(days=4), tick=False):
        for circulation in (closed, decided, issued):
            _closed(circulation)
        for circulation, riders in ((decided, []), (issued, [RiderDraft("付言")])):
            item = circulation.consultation.items.get()
            confirm_written_result(circulation.pk, by=chair, results={item.pk: "approved"},
                                   riders=riders, reasons="理由")  # fmt: skip
        issue_report(
            issued.pk, by=secretariat, report_date=timezone.localdate(),
            version=Consultation.objects.get(pk=issued.pk).report_version,
        )  # fmt: skip
    opened = _sent(committee, secretariat, staff, 1)
    recipient = opened.recipients.get(user=member)
    item = opened.consultation.items.get()
    submit_votes(recipient=recipient, choices=[ItemChoice(item.pk, "approve")], submitted_by=member)
    recipient = Recipient.objects.select_related("current_reply").get(pk=recipient.pk)
    return Consultations(
        draft=_register(committee, secretariat, staff, 5),
        open=opened,
        closed=closed,
        decided=decided,
        issued=issued,
        recipient=recipient,
        rider=Rider.objects.get(consultation_id=issued.pk),
        vote_token=make_token(recipient, Purpose.VOTE),
    )


# --- Expectations ---------------------------------------------------------------------------


def consultation_page(ok: dict[str, int] | None = None, method: str = "get", **others: Any):
    """A sent consultation: the secretariat, its recipients (the chairs, the member, one
    whose term has ended since) and its own implementing body see it; a member appointed
    after it was sent and the staff of another consultation do not know it exists."""
    answers: dict[str, Any] = {
        "secretariat": (200, 404), "chair": (200, 404), "acting_chair": (200, 404),
        "member": (200, 404), "late_member": (404, 404), "ended_member": (200, 404),
        "implementing_body": (200, 404), "other_body": (404, 404), "former_member": (404, 404),
        "outsider": (404, 404), "other_secretariat": (404, 200),
    }  # fmt: skip
    for persona, status in (ok or {}).items():
        answers[persona] = (status, 404) if persona != "other_secretariat" else (404, status)
    answers.update(others)
    return expect(method, **answers)


def secretariat_only(ok: int, method: str = "get") -> Expectation:
    return consultation_page(
        {"secretariat": ok, "chair": 403, "acting_chair": 403, "member": 403,
         "ended_member": 403, "implementing_body": 403, "other_secretariat": ok},
        method,
    )  # fmt: skip


def draft_only(ok: int, method: str = "get") -> Expectation:
    answers = {persona: (404, 404) for persona in PERSONAS[1:]}
    answers.update({"secretariat": (ok, 404), "other_secretariat": (404, ok)})
    return expect(method, **answers)


def committee_page(**answers: Any) -> Expectation:
    base: dict[str, Any] = {
        "secretariat": (200, 404), "chair": (200, 404), "acting_chair": (200, 404),
        "member": (200, 404), "late_member": (200, 404), "implementing_body": (200, 404),
        "other_body": (200, 404), "ended_member": (404, 404), "former_member": (404, 404),
        "outsider": (404, 404), "other_secretariat": (404, 200),
    }  # fmt: skip
    base.update(answers)
    return expect(**base)


NOT_THE_COUNCILS = {"chair": (403, 404), "acting_chair": (403, 404), "member": (403, 404),
                    "late_member": (403, 404), "implementing_body": (403, 404),
                    "other_body": (403, 404)}  # fmt: skip
VOTES = {"member": 403, "ended_member": 403, "implementing_body": 403}
RECIPIENTS_POST = {"secretariat": 403, "chair": 400, "acting_chair": 400, "member": 400,
                   "ended_member": 400, "implementing_body": 403}  # fmt: skip

CONSULTATION_EXPECTED: dict[str, Expectation] = {
    # The council's pages
    "consultation_list": committee_page(),
    "consultation_create": committee_page(**NOT_THE_COUNCILS),
    "consultation_rules": committee_page(**NOT_THE_COUNCILS),
    # Open riders: the council (secretariat and sitting members), not the implementing body.
    "committee_riders": committee_page(implementing_body=(403, 404), other_body=(403, 404)),
    # A draft exists for the secretariat only.
    "consultation_edit": draft_only(200),
    "consultation_send": draft_only(302, "post"),
    "consultation_meeting_result": draft_only(200),
    "consultation_statements": draft_only(200),
    # The open consultation
    "consultation_detail": consultation_page(),
    # An empty post: the form comes back (400) to recipients; the others were not asked.
    "consultation_ask": consultation_page(RECIPIENTS_POST, "post", other_secretariat=(404, 403)),
    "consultation_vote": consultation_page(RECIPIENTS_POST, "post", other_secretariat=(404, 403)),
    "consultation_add_material": consultation_page(
        {
            "secretariat": 400,
            "chair": 403,
            "acting_chair": 403,
            "member": 403,
            "ended_member": 403,
            "implementing_body": 400,
            "other_secretariat": 400,
        },
        "post",
    ),
    "consultation_votes": consultation_page(VOTES),
    "consultation_vote_for": secretariat_only(200),
    # The closed consultation: the chair's page; the acting chair sees it, does not decide.
    "consultation_result": consultation_page(VOTES),
    # Deciding to convene instead, with no reason posted: the decider's form comes back;
    # the others who see the page are refused by the decision service.
    "consultation_convene": consultation_page(
        {"secretariat": 403, "chair": 400, "acting_chair": 403, **VOTES, "other_secretariat": 403},
        "post",
    ),
    "consultation_reopen": consultation_page(
        {"secretariat": 400, "chair": 400, "acting_chair": 403, **VOTES, "other_secretariat": 400},
        "post",
    ),
    # Decided, not issued: the report's draft is the secretariat's and the chairs'.
    "consultation_report_edit": consultation_page(
        {"secretariat": 200, "chair": 200, "acting_chair": 403, **VOTES, "other_secretariat": 200},
    ),
    "consultation_issue": secretariat_only(302, "post"),  # no date posted: back to the report
    # Issued: everyone concerned reads the report; the record never shows votes to the body.
    "consultation_report": consultation_page(),
    "consultation_record": consultation_page({"implementing_body": 403}),
    "rider_respond": consultation_page(
        {"chair": 403, "acting_chair": 403, "member": 403, "ended_member": 403}
    ),
    # The member's one-click vote link: theirs, or whoever holds it signed out.
    "consultation_vote_link": expect(
        refusal="circulation.link.refused",
        **{
            **dict.fromkeys(PERSONAS[1:], (403, 403)),
            "anonymous": (200, 200),
            "member": (200, 403),
        },
    ),
}


def _c(name: str):
    return lambda side: getattr(side.consultations, name).pk


def _token(side: Any) -> str:
    return side.consultations.vote_token


CONSULTATION_FILLERS: dict[str, dict[str, Any]] = {
    "consultation_edit": {"circulation_id": _c("draft")},
    "consultation_send": {"circulation_id": _c("draft")},
    "consultation_meeting_result": {"circulation_id": _c("draft")},
    "consultation_statements": {"circulation_id": _c("draft")},
    "consultation_detail": {"circulation_id": _c("open")},
    "consultation_ask": {"circulation_id": _c("open")},
    "consultation_vote": {"circulation_id": _c("open")},
    "consultation_add_material": {"circulation_id": _c("open")},
    "consultation_votes": {"circulation_id": _c("open")},
    "consultation_vote_for": {
        "circulation_id": _c("open"),
        "recipient_id": lambda side: side.consultations.recipient.pk,
    },
    "consultation_result": {"circulation_id": _c("closed")},
    "consultation_convene": {"circulation_id": _c("closed")},
    "consultation_reopen": {"circulation_id": _c("closed")},
    "consultation_report_edit": {"circulation_id": _c("decided")},
    "consultation_issue": {"circulation_id": _c("decided")},
    "consultation_report": {"circulation_id": _c("issued")},
    "consultation_record": {"circulation_id": _c("issued")},
    "rider_respond": {
        "circulation_id": _c("issued"),
        "rider_id": lambda side: side.consultations.rider.pk,
    },
    "consultation_vote_link": {"token": _token},
}
# The vote link's item and vote travel in its query string.
CONSULTATION_EXPECTED["consultation_vote_link"].query.update(item="1", vote="approve")
