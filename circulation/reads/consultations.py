"""Read-side queries of consultations (諮問) for pages, mails and other parts of the portal
(no writes):

- `open_riders(committee)`: riders of issued reports not yet 対応済み (the session's agenda,
  the council's riders page);
- `consultation_list(user, committee)`, `staff_consultations(user)`: lists;
- `build_consultation_record(...)`: the decision record — results, tally, riders, the Q&A
  with speakers by role (委員)/(実施機関), named or masked.

The to-do list's items of consultations (votes awaited, riders awaiting a response) come
from reads/todo_consultations.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext as _

from circulation.models import (
    Answer,
    Circulation,
    Consultation,
    ConsultationRules,
    Question,
    Reply,
    Rider,
    RiderResponse,
    Statement,
    open_rider_filter,
)
from circulation.reads.consultation_tally import ItemTally, tally_items
from portal.models import Committee, Role, User
from portal.permissions import memberships_of
from portal.permissions_consultation import consultations_visible_to


@dataclass
class OpenRider:
    rider: Rider
    consultation: Consultation
    latest: RiderResponse | None

    @property
    def circulation(self) -> Circulation:
        return self.consultation.circulation


def open_riders(committee: Committee) -> list[OpenRider]:
    """The council's riders whose response is not 対応済み, oldest report first, each with
    its latest response (if any): two queries."""
    riders = (
        Rider.objects.filter(open_rider_filter(), consultation__committee=committee)
        .select_related("consultation__circulation")
        .prefetch_related(
            Prefetch("responses", queryset=RiderResponse.objects.order_by("recorded_at", "id"))
        )
        .order_by("consultation__issued_at", "consultation__number", "order", "id")
    )
    found = []
    for rider in riders:
        responses = list(rider.responses.all())
        found.append(OpenRider(rider, rider.consultation, responses[-1] if responses else None))
    return found


def consultation_list(user: User, committee: Committee) -> list[Circulation]:
    """The committee's consultations the person may see, newest number first, each with its
    consultation row."""
    return list(
        consultations_visible_to(user, committee)
        .select_related("consultation")
        .order_by("-consultation__number", "-id")
    )


@dataclass(frozen=True)
class StaffConsultation:
    circulation: Circulation
    unanswered: int
    open_riders: int


def staff_consultations(user: User) -> list[StaffConsultation]:
    """The consultations the person answers for as the implementing body, while they hold
    that role, with their unanswered questions and open riders: one query."""
    committees = [m.committee_id for m in memberships_of(user) if m.role == Role.IMPLEMENTING_BODY]
    if not committees:  # no query for anyone else (the request already read the seats)
        return []
    circulations = (
        Circulation.objects.filter(
            kind=Circulation.Kind.CONSULTATION,
            consultation__staff=user,
            committee__in=committees,
        )
        .exclude(state__in=(Circulation.State.DRAFT, Circulation.State.DISCARDED))
        .select_related("committee", "consultation")
        .annotate(
            unanswered=Count("questions", filter=Q(questions__answer__isnull=True), distinct=True)
        )
        .order_by("-sent_at", "-id")
    )
    riders = dict(
        Rider.objects.filter(open_rider_filter(), consultation__staff=user)
        .values("consultation_id")
        .annotate(n=Count("id"))
        .values_list("consultation_id", "n")
    )
    return [StaffConsultation(c, c.unanswered, riders.get(c.pk, 0)) for c in circulations]


# --- The decision record ---------------------------------------------------------------------


@dataclass(frozen=True)
class Spoken:
    """One statement or question/answer of the record: the speaker shown by role —
    (委員), (実施機関), (事務局) — and, when named, by name."""

    section: str
    speaker: str
    text: str


@dataclass
class ConsultationRecord:
    circulation: Circulation
    consultation: Consultation
    masked: bool
    rules: ConsultationRules
    tallies: list[ItemTally] = field(default_factory=list)
    riders: list[Rider] = field(default_factory=list)
    written_qa: list[Spoken] = field(default_factory=list)
    statements: dict[str, list[Spoken]] = field(default_factory=dict)
    decided_by: str = ""

    @property
    def written(self) -> bool:
        return self.consultation.decided_how != Consultation.DecidedHow.MEETING and bool(
            self.circulation.sent_at
        )


def build_consultation_record(circulation: Circulation, *, masked: bool) -> ConsultationRecord:
    """Everything the record shows. Masked: no person's name anywhere — members are
    (委員), the implementing body (実施機関), the decider by role only."""
    consultation = (
        Consultation.objects.select_related("decided_by")
        .prefetch_related("items", "riders__responses")
        .get(pk=circulation.pk)
    )
    record = ConsultationRecord(
        circulation=circulation,
        consultation=consultation,
        masked=masked,
        rules=ConsultationRules.rules_of(circulation.committee),
    )
    if circulation.sent_at:
        record.tallies = tally_items(circulation, consultation)
    record.riders = list(consultation.riders.all())
    record.written_qa = _written_qa(circulation, consultation, masked)
    record.statements = _statements(consultation, masked)
    if consultation.decided_by_id:
        role = consultation.get_decided_as_display()
        record.decided_by = role if masked else f"{role} {consultation.decided_by.full_name}"
    return record


def role_label(role: str) -> str:
    return f"({Role(role).label})"


def _speaker(role: str, user: User | None, masked: bool) -> str:
    label = role_label(role)
    if masked or user is None:
        return label
    return f"{user.full_name}{label}"


def _written_qa(circulation: Circulation, consultation: Consultation, masked: bool) -> list[Spoken]:
    """The questions asked in writing and their answers, by role: an answer by one of the
    consultation's staff is the implementing body's, any other the secretariat's."""
    staff = set(consultation.staff.values_list("pk", flat=True))
    questions = Question.objects.filter(circulation=circulation).select_related(
        "asked_by", "answer__answered_by"
    )
    spoken = []
    for question in questions:
        spoken.append(Spoken("qa", _speaker(Role.MEMBER, question.asked_by, masked), question.text))
        answer = _answer_of(question)
        if answer is not None:
            role = Role.IMPLEMENTING_BODY if answer.answered_by_id in staff else Role.SECRETARIAT
            spoken.append(Spoken("qa", _speaker(role, answer.answered_by, masked), answer.text))
    return spoken


def _answer_of(question: Question) -> Answer | None:
    try:
        return question.answer
    except Answer.DoesNotExist:
        return None


def _statements(consultation: Consultation, masked: bool) -> dict[str, list[Spoken]]:
    sections: dict[str, list[Spoken]] = {}
    rows = Statement.objects.filter(consultation=consultation).select_related("speaker")
    for row in rows:
        sections.setdefault(row.section, []).append(
            Spoken(row.section, _speaker(row.speaker_role, row.speaker, masked), row.text)
        )
    return sections


def section_title(section: str) -> str:
    return str(Statement.Section(section).label)


def vote_label(reply: Reply | None) -> str:
    return _("未回答") if reply is None else _("回答済み")
