"""The decision record (審議結果): everything about a circulation in one structure, named or
masked (every member shown as 「委員」), read with a fixed number of queries whatever the
number of recipients. Used by the decision page, the printable record and the CSV."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from circulation.models import (
    Answer,
    Circulation,
    Decision,
    Material,
    Meeting,
    Question,
    Recipient,
    Reply,
)
from circulation.reads.tally import Tally, tally_of, tally_recipients
from portal.models import Membership, Role


@dataclass(frozen=True)
class ReplyRow:
    """One recipient's current reply (or none). `who` is the name, or 「委員」 when masked."""

    who: str
    role_label: str  # 会長 / 職務代理者 when named; always "" when masked
    reply: Reply | None

    @property
    def answer_label(self) -> str:
        return self.reply.get_kind_display() if self.reply else _("未回答")

    @property
    def meeting_label(self) -> str:
        return meeting_label(self.reply)


@dataclass(frozen=True)
class QAEntry:
    question: Question
    asked_by: str
    answer: Answer | None
    answered_by: str


@dataclass
class DecisionRecord:
    circulation: Circulation
    masked: bool
    tally: Tally
    materials: list[Material] = field(default_factory=list)
    rows: list[ReplyRow] = field(default_factory=list)
    qa: list[QAEntry] = field(default_factory=list)
    decision: Decision | None = None
    decided_by: str = ""
    # The meeting, with its published minutes, when the decision was to convene.
    meeting: Meeting | None = None

    @property
    def replied_rows(self) -> list[ReplyRow]:
        return [row for row in self.rows if row.reply is not None]

    @property
    def opinion_rows(self) -> list[ReplyRow]:
        return [row for row in self.rows if row.reply and row.reply.kind == Reply.Kind.OPINION]

    @property
    def not_replied_rows(self) -> list[ReplyRow]:
        return [row for row in self.rows if row.reply is None]


def meeting_label(reply: Reply | None) -> str:
    if reply is None or reply.meeting_needed is None:
        return ""
    return _("審議が必要") if reply.meeting_needed else _("審議は不要")


def build_record(circulation: Circulation, *, masked: bool) -> DecisionRecord:
    """The record of a circulation. With `masked`, no person's name appears anywhere in it:
    members are 「委員」, answerers and the decider are shown by role only."""
    # One read of the recipients serves both the tally and the rows.
    recipients = list(tally_recipients(circulation))
    record = DecisionRecord(circulation=circulation, masked=masked, tally=tally_of(recipients))
    record.materials = list(circulation.materials.order_by("order", "title", "version", "id"))
    record.rows = reply_rows(recipients, masked)
    record.qa = _qa_entries(circulation, masked)
    record.decision = (
        Decision.objects.filter(circulation=circulation).select_related("decided_by").first()
    )
    if record.decision is not None:
        role = record.decision.get_decided_as_display()
        record.decided_by = role if masked else f"{role} {record.decision.decided_by.full_name}"
        if record.decision.convene:
            record.meeting = (
                Meeting.objects.filter(circulation=circulation)
                .select_related("published_minutes")
                .first()
            )
    return record


def reply_rows(recipients: list[Recipient], masked: bool) -> list[ReplyRow]:
    """A row per recipient read by `tally_recipients`: by name, or, masked, every one
    「委員」 in the order the replies came."""
    recipients = list(recipients)  # sorted below: the tally keeps the roll order
    if masked:
        # Not by name (nor by id, which follows the roll order): by when they replied.
        recipients.sort(key=_masked_order)
        return [ReplyRow(_("委員"), "", r.current_reply) for r in recipients]
    return [
        ReplyRow(r.user.full_name, "" if r.role == Role.MEMBER else r.get_role_display(),
                 r.current_reply)
        for r in recipients
    ]  # fmt: skip


def _masked_order(recipient: Recipient) -> tuple[int, float, int]:
    # Ties go by the reply's row id (the order of arrival), never by the roll order.
    reply = recipient.current_reply
    if reply is None:
        return (1, 0.0, 0)
    return (0, reply.submitted_at.timestamp(), reply.pk)


def _qa_entries(circulation: Circulation, masked: bool) -> list[QAEntry]:
    questions = list(
        Question.objects.filter(circulation=circulation).select_related(
            "asked_by", "answer", "answer__answered_by"
        )
    )
    answers = [q.answer for q in questions if _answer_of(q) is not None]
    roles = _roles_of(circulation, {a.answered_by_id for a in answers})
    entries = []
    for question in questions:
        answer = _answer_of(question)
        answered_by = ""
        if answer is not None:
            role = roles.get(answer.answered_by_id, Role.SECRETARIAT)
            role_label = str(Role(role).label)
            answered_by = role_label if masked else f"{answer.answered_by.full_name}({role_label})"
        asked_by = _("委員") if masked else question.asked_by.full_name
        entries.append(QAEntry(question, asked_by, answer, answered_by))
    return entries


def _answer_of(question: Question) -> Answer | None:
    try:
        return question.answer
    except Answer.DoesNotExist:
        return None


def _roles_of(circulation: Circulation, user_ids: set[int]) -> dict[int, str]:
    """The answering role (事務局 / 実施機関) of each answerer, in one query."""
    if not user_ids:
        return {}
    memberships = (
        Membership.objects.on(timezone.localdate())
        .filter(
            committee_id=circulation.committee_id,
            user_id__in=user_ids,
            role__in=[Role.SECRETARIAT, Role.IMPLEMENTING_BODY],
        )
        .values_list("user_id", "role")
    )
    return dict(memberships)
