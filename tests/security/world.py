"""Two councils with one of everything, built through the real services: the objects every
Kairan URL points at (for the permission matrix) and every text the portal shows (for the
XSS tests, which pass their payloads as the texts).

Each council ("side") has a draft, an open circulation (the member replied and asked a
question; a wrong-sender mail reply with an attachment is held for the secretariat) and a
decided one whose meeting (会議) is scheduled for next week, a pending invitation, and a
one-click link of its member; and two more circulations decided 開催する: one whose meeting
is not scheduled yet, and one whose meeting was held yesterday, its minutes (会議録)
uploaded but not yet published.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr
from typing import Any

import time_machine
from django.core.files.base import ContentFile
from django.utils import timezone

from circulation.inbound.service import receive_raw_message
from circulation.mail.material_tokens import make_material_token
from circulation.mail.tokens import Purpose, make_token, plain_reply_address, reply_address
from circulation.models import (
    Circulation,
    InboundAttachment,
    InboundMessage,
    Material,
    Meeting,
    MeetingMinutes,
    Question,
    Recipient,
)
from circulation.services.closing import close_circulation
from circulation.services.deadlines import extend_deadline
from circulation.services.decisions import decide
from circulation.services.meetings import MeetingDetails, schedule_meeting
from circulation.services.minutes import upload_minutes
from circulation.services.questions import ask_question
from circulation.services.replies import submit_reply
from circulation.services.sending import send_circulation
from circulation.uploads.checks import check_upload
from portal.models import SITTING_ROLES, Committee, Membership, Role, User
from portal.services.invitations import make_invitation_token
from portal.services.membership import invite_member
from tests.circulation.helpers import PDF_BYTES
from tests.security.consultation_matrix import Consultations

OWN, OTHER = "own", "other"


@dataclass
class Texts:
    """What people type; the XSS tests put a payload in each."""

    title: str = "第12回 管理運用会議 議事録の確認"
    explanation: str = "議事録(案)をご確認ください。\n\n- 第3項に修正があります"
    material_title: str = "議事録(案)"
    file_name: str = "議事録.pdf"
    opinion: str = "第3項の記録に欠落があります。"
    question: str = "監査報告の指摘事項2は是正済みですか。"
    answer: str = "是正済みです。"
    extension_reason: str = "資料の追加のため"
    decision_reason: str = "意見が1件あり、確認のため開催します。"
    mail_subject: str = "Re: 書面照会"
    mail_from_name: str = "田中 太郎"
    mail_body: str = "意見なし"
    attachment_name: str = "メモ.txt"
    invitee_name: str = "新井 招待中"
    meeting_place: str = "市役所本庁舎 5階 第1会議室"
    meeting_note: str = "資料は当日配布します。\n\n- 筆記用具をお持ちください"
    minutes_title: str = "第46回 管理運用会議 会議録"
    minutes_name: str = "会議録.pdf"


@dataclass
class Side:
    committee: Committee
    secretariat: User
    chair: User
    member: User  # a recipient of every circulation of the side
    draft: Circulation
    open: Circulation
    decided: Circulation
    material: Material  # of the open circulation
    question: Question  # of the open circulation, answered unless told otherwise
    open_question: Question  # of the open circulation, not answered
    recipient: Recipient  # the member, on the open circulation
    membership: Membership  # the member's
    message: InboundMessage  # held for the secretariat
    attachment: InboundAttachment
    link_token: str  # the member's 「意見なし」 link on the open circulation
    material_token: str  # the member's link to the open circulation's material
    orphan: InboundMessage  # mail of no council (site staff only), with an attachment
    orphan_attachment: InboundAttachment
    invitation_token: str
    invitee: Membership
    meeting: Meeting  # of the decided circulation, next week
    convened: Circulation  # decided 開催する, no meeting yet
    held: Circulation  # decided 開催する, the meeting was yesterday
    minutes: MeetingMinutes  # of the held meeting, uploaded, not published
    # One consultation (諮問) of each state (tests/security/consultation_matrix.py).
    consultations: Consultations | None = None
    session: Any = None  # a session on its own (tests/security/session_matrix.py)


@dataclass
class World:
    sides: dict[str, Side]
    people: dict[str, User | None] = field(default_factory=dict)

    def side(self, side: str) -> Side:
        return self.sides[side]


def _circulation(
    committee: Committee, secretariat: User, texts: Texts, deadline: dt.datetime
) -> Circulation:
    """A draft with one PDF, addressed to the committee's sitting members today."""
    circulation = Circulation.objects.create(
        committee=committee,
        title=texts.title,
        explanation=texts.explanation,
        deadline=deadline,
        created_by=secretariat,
    )
    material = Material(
        circulation=circulation,
        title=texts.material_title,
        original_name=texts.file_name,
        content_type="application/pdf",
        size=len(PDF_BYTES),
        sha256=hashlib.sha256(PDF_BYTES).hexdigest(),
        uploaded_by=secretariat,
    )
    material.file.save("x", ContentFile(PDF_BYTES), save=False)
    material.save()
    for membership in Membership.objects.on(timezone.localdate()).filter(
        committee=committee, role__in=SITTING_ROLES
    ):
        Recipient.objects.create(
            circulation=circulation, user=membership.user, membership=membership,
            role=membership.role,
        )  # fmt: skip
    return circulation


def wrong_sender_mail(
    recipient: Recipient,
    texts: Texts,
    *,
    sender: str = "someone.else@example.com",
    to: str = "",
) -> bytes:
    """A reply to the member's personal address from an address that is not theirs, with
    an attachment: held for the secretariat. Built with the compat32 classes, which keep a
    display name full of markup intact (the newer API re-folds it into a broken header)."""
    mail = MIMEMultipart()
    mail["From"] = formataddr((texts.mail_from_name, sender))
    mail["To"] = to or reply_address(recipient)
    mail["Subject"] = Header(texts.mail_subject, "utf-8")
    mail["Message-ID"] = f"<{uuid.uuid4().hex}@example.com>"
    mail.attach(MIMEText(texts.mail_body, "plain", "utf-8"))
    attachment = MIMEText("memo", "plain", "utf-8")
    name = ("utf-8", "", texts.attachment_name)
    attachment.add_header("Content-Disposition", "attachment", filename=name)
    mail.attach(attachment)
    return mail.as_bytes()


def _decided(
    committee: Committee,
    secretariat: User,
    chair: User,
    member: User,
    texts: Texts,
    sent: dt.datetime,
) -> Circulation:
    """Sent at `sent`, the member replied, closed two days later, the chair decided to
    convene a day after that."""
    with time_machine.travel(sent, tick=False):
        decided = _circulation(committee, secretariat, texts, sent + dt.timedelta(days=2))
        send_circulation(decided.pk, by=secretariat)
        mine = decided.recipients.get(user=member)
        submit_reply(recipient=mine, kind="opinion", opinion=texts.opinion, submitted_by=member)
    closing = sent + dt.timedelta(days=2, seconds=30)
    with time_machine.travel(closing, tick=False):
        close_circulation(decided.pk, now=closing)
    with time_machine.travel(closing + dt.timedelta(days=1), tick=False):
        decide(decided.pk, convene=True, reason=texts.decision_reason, by=chair)
    return decided


def _meeting(
    circulation: Circulation, secretariat: User, texts: Texts, starts: dt.datetime
) -> Meeting:
    """Scheduled a week after the decision, for `starts` (an hour and a half)."""
    details = MeetingDetails(
        starts_at=starts, ends_at=starts + dt.timedelta(minutes=90), place=texts.meeting_place,
        web_url="https://meet.example.jp/j/123", note=texts.meeting_note,
    )  # fmt: skip
    decided_at = Circulation.objects.get(pk=circulation.pk).decision.decided_at
    with time_machine.travel(decided_at + dt.timedelta(hours=1), tick=False):
        return schedule_meeting(circulation.pk, by=secretariat, details=details)


def build_side(
    committee: Committee,
    *,
    secretariat: User,
    chair: User,
    member: User,
    texts: Texts | None = None,
    invitee_email: str,
) -> Side:
    texts = texts or Texts()
    now = timezone.now()
    # Decided: sent ten days ago, closed eight days ago, decided by the chair a day later;
    # its meeting is next week.
    decided = _decided(committee, secretariat, chair, member, texts, now - dt.timedelta(days=10))
    meeting = _meeting(decided, secretariat, texts, now + dt.timedelta(days=7))
    # Decided to convene, no meeting yet; and one whose meeting was yesterday, with minutes.
    convened = _decided(committee, secretariat, chair, member, texts, now - dt.timedelta(days=9))
    held = _decided(committee, secretariat, chair, member, texts, now - dt.timedelta(days=12))
    _meeting(held, secretariat, texts, now - dt.timedelta(days=1))
    with time_machine.travel(now - dt.timedelta(hours=12), tick=False):
        minutes = upload_minutes(
            held.pk, by=secretariat, title=texts.minutes_title,
            upload=check_upload(ContentFile(PDF_BYTES, name=texts.minutes_name)),
        )  # fmt: skip
    # Open: sent yesterday; the member replied and asked two questions, one answered; the
    # deadline was extended once.
    with time_machine.travel(now - dt.timedelta(days=1), tick=False):
        opened = _circulation(committee, secretariat, texts, now + dt.timedelta(days=6))
        send_circulation(opened.pk, by=secretariat)
    recipient = opened.recipients.get(user=member)
    submit_reply(recipient=recipient, kind="opinion", opinion=texts.opinion, submitted_by=member)
    question = ask_question(opened.pk, by=member, text=texts.question)
    open_question = ask_question(opened.pk, by=member, text=texts.question + "(2)")
    from circulation.services.questions import answer_question

    answer_question(question.pk, by=secretariat, text=texts.answer)
    extend_deadline(
        opened.pk, by=secretariat, new_deadline=now + dt.timedelta(days=7),
        reason=texts.extension_reason,
    )  # fmt: skip
    recipient.refresh_from_db()
    link_token = make_token(recipient, Purpose.NO_OPINION)
    material_token = make_material_token(recipient, opened.materials.get())
    message = receive_raw_message(wrong_sender_mail(recipient, texts), source="simulate")
    assert message.state == InboundMessage.State.HELD, (message.state, message.reason)
    stranger = f"stranger-{committee.pk}@example.com"
    orphan = receive_raw_message(
        wrong_sender_mail(recipient, texts, sender=stranger, to=plain_reply_address()),
        source="simulate",
    )
    assert (orphan.state, orphan.committee) == (InboundMessage.State.UNMATCHED, None)
    draft = _circulation(committee, secretariat, texts, now + dt.timedelta(days=9))
    invitee = invite_member(
        committee, texts.invitee_name, invitee_email, Role.MEMBER,
        timezone.localdate(), timezone.localdate() + dt.timedelta(days=700), by=secretariat,
    )  # fmt: skip
    return Side(
        committee=committee,
        secretariat=secretariat,
        chair=chair,
        member=member,
        draft=draft,
        open=Circulation.objects.get(pk=opened.pk),
        decided=Circulation.objects.get(pk=decided.pk),
        material=opened.materials.get(),
        question=question,
        open_question=open_question,
        recipient=recipient,
        membership=Membership.objects.get(committee=committee, user=member),
        message=message,
        attachment=message.attachments.get(),
        link_token=link_token,
        material_token=material_token,
        orphan=orphan,
        orphan_attachment=orphan.attachments.get(),
        invitation_token=make_invitation_token(invitee),
        invitee=invitee,
        meeting=meeting,
        convened=Circulation.objects.get(pk=convened.pk),
        held=Circulation.objects.get(pk=held.pk),
        minutes=minutes,
    )
