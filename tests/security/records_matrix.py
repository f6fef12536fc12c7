"""The minutes' (会議録) and public records' (公開記録) rows of the permission matrix, and the
objects they point at.

Each side's council gets, through the real services, minutes of its meeting held yesterday
sent for checking to the side's member (a draft: the secretariat, the chair, the acting
chair and that member see it; nobody else knows it exists), and the published record of its
decided circulation (書面開催). The public pages answer everybody, signed in or not.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from circulation.models import Meeting, Minutes, Publication
from circulation.services.minutes_drafts import (
    send_for_check,
    start_session_minutes,
    start_written_record,
)
from circulation.services.publication import request_publication
from tests.security.urlmatrix import PERSONAS, Expectation, expect


@dataclass
class Records:
    checking: Minutes  # the held meeting's minutes, sent to the side's member for checking
    published: Minutes  # the decided circulation's record, public
    publication: Publication  # the published record's publication (done)


def build_records(side: Any) -> Records:
    held = Meeting.objects.get(circulation=side.held)
    checking = start_session_minutes(held.pk, by=side.secretariat)
    send_for_check(checking.pk, by=side.secretariat, checker_ids=[side.member.pk],
                   deadline=timezone.now() + dt.timedelta(days=7))  # fmt: skip
    published = start_written_record(side.decided.pk, by=side.secretariat)
    publication = request_publication(published.pk, by=side.secretariat, version=1)
    return Records(
        checking=Minutes.objects.get(pk=checking.pk),
        published=Minutes.objects.get(pk=published.pk),
        publication=publication,
    )


EVERYBODY = dict.fromkeys(PERSONAS, 200)


def public(**answers: Any) -> Expectation:
    return expect(**{**EVERYBODY, **answers})


def council_secretariat(ok: int, method: str = "get") -> Expectation:
    """A council's page for its secretariat: the rest of the council 403, others 404."""
    return expect(
        method,
        secretariat=(ok, 404), chair=(403, 404), acting_chair=(403, 404), member=(403, 404),
        late_member=(403, 404), implementing_body=(403, 404), other_body=(403, 404),
        ended_member=(404, 404), former_member=(404, 404), outsider=(404, 404),
        other_secretariat=(404, ok),
    )  # fmt: skip


def minutes_page(ok: dict[str, int] | None = None, method: str = "get") -> Expectation:
    """Draft minutes: the secretariat, the chair, the acting chair and the attendee asked to
    check them; for everybody else they do not exist."""
    answers: dict[str, Any] = {
        "secretariat": (200, 404), "chair": (200, 404), "acting_chair": (200, 404),
        "member": (200, 404), "late_member": (404, 404), "ended_member": (404, 404),
        "implementing_body": (404, 404), "other_body": (404, 404), "former_member": (404, 404),
        "outsider": (404, 404), "other_secretariat": (404, 200),
    }  # fmt: skip
    for persona, status in (ok or {}).items():
        answers[persona] = (status, 404) if persona != "other_secretariat" else (404, status)
    return expect(method, **answers)


SECRETARIAT_STEP = {"chair": 403, "acting_chair": 403, "member": 403}

RECORDS_EXPECTED: dict[str, Expectation] = {
    # The public records: everybody, signed in or not.
    "public_index": public(),
    "public_council": public(),
    "public_record": public(),
    "public_feed": public(),
    # The council's list, settings and export: its secretariat.
    "council_minutes": council_secretariat(200),
    "record_settings": council_secretariat(200),
    "record_export": council_secretariat(200),
    # Minutes of a session not begun yet: the secretariat is told why (back to the list).
    "minutes_start_session": council_secretariat(302, "post"),
    # A decided circulation already recorded: the secretariat is told so; those who see the
    # circulation are refused, the others do not know it exists.
    "minutes_start_written": expect(
        "post",
        secretariat=(302, 404),
        chair=(403, 404),
        acting_chair=(403, 404),
        member=(403, 404),
        late_member=(404, 404),
        ended_member=(403, 404),
        implementing_body=(403, 404),
        other_body=(403, 404),
        former_member=(404, 404),
        outsider=(404, 404),
        other_secretariat=(404, 302),
    ),
    # The draft under check
    "minutes_detail": minutes_page(),
    "minutes_preview": minutes_page(),
    "minutes_edit": minutes_page({**SECRETARIAT_STEP}),
    "minutes_send_check": minutes_page({**SECRETARIAT_STEP}),
    "minutes_correct": minutes_page({**SECRETARIAT_STEP}),
    "minutes_withdraw": minutes_page({**SECRETARIAT_STEP}),
    # An empty post: the member asked gets the form back; the rest may not check.
    "minutes_check": minutes_page(
        {
            "secretariat": 403,
            "chair": 403,
            "acting_chair": 403,
            "member": 400,
            "other_secretariat": 403,
        },
        "post",
    ),
    # No version posted: the chair is told to look again; only the chair approves.
    "minutes_approve": minutes_page(
        {
            "secretariat": 403,
            "chair": 302,
            "acting_chair": 403,
            "member": 403,
            "other_secretariat": 403,
        },
        "post",
    ),
    "minutes_publish": minutes_page(
        {"secretariat": 302, **SECRETARIAT_STEP, "other_secretariat": 302}, "post"
    ),
    # The published record's done step: the chair is told it is done; the member asked to
    # check the other minutes was not asked about this record (404).
    "publication_confirm": expect(
        "post",
        secretariat=(403, 404),
        chair=(302, 404),
        acting_chair=(403, 404),
        member=(404, 404),
        late_member=(404, 404),
        ended_member=(404, 404),
        implementing_body=(404, 404),
        other_body=(404, 404),
        former_member=(404, 404),
        outsider=(404, 404),
        other_secretariat=(404, 403),
    ),
}


def _r(name: str):
    return lambda side: getattr(side.records, name).pk


RECORDS_FILLERS: dict[str, dict[str, Any]] = {
    "public_council": {"committee_id": lambda side: side.committee.pk},
    "public_feed": {"committee_id": lambda side: side.committee.pk},
    "public_record": {"committee_id": lambda side: side.committee.pk,
                      "minutes_id": _r("published")},
    "council_minutes": {"committee_id": lambda side: side.committee.pk},
    "record_settings": {"committee_id": lambda side: side.committee.pk},
    "record_export": {"committee_id": lambda side: side.committee.pk},
    "minutes_start_session": {"committee_id": lambda side: side.committee.pk,
                              "meeting_id": lambda side: side.meeting.pk},
    "minutes_start_written": {"circulation_id": lambda side: side.decided.pk},
    "publication_confirm": {"minutes_id": _r("published"),
                            "publication_id": _r("publication")},
    **{name: {"minutes_id": _r("checking")} for name in (
        "minutes_detail", "minutes_preview", "minutes_edit", "minutes_send_check",
        "minutes_correct", "minutes_withdraw", "minutes_check", "minutes_approve",
        "minutes_publish",
    )},
}  # fmt: skip
