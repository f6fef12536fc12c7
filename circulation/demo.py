"""Demo circulations for `make demo`: one open with replies, one awaiting the chair, and one
the chair decided to convene, whose meeting (会議) is scheduled for ten days from now; and
the consultations (諮問) of the second council, 長崎市個人情報保護審議会 (from the city's
public record of its session): 諮問第65号 and 第66号 answered, 第67号 open for votes.

Built through the same services the portal uses, with the clock passed in, so the data
looks exactly like a real council's.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from circulation.models import (
    Circulation,
    Material,
    Recipient,
    Reply,
)
from circulation.services.closing import close_circulation
from circulation.services.decisions import decide
from circulation.services.meetings import MeetingDetails, schedule_meeting
from circulation.services.replies import submit_reply
from circulation.services.sending import send_circulation
from portal.models import SITTING_ROLES, Committee, Membership, Role, User

OPEN_TITLE = "第45回 管理運用会議の議事録について"
CLOSED_TITLE = "令和8年度 内部監査報告書について"
CONVENED_TITLE = "令和8年度 第2四半期 運用状況報告について"
# Each circulation's two materials, titled in full as a secretariat would.
MATERIAL_TITLES = {
    OPEN_TITLE: ("第45回 管理運用会議 議事録(案)", "第45回 管理運用会議 出席者名簿"),
    CLOSED_TITLE: ("令和8年度 内部監査報告書", "内部監査 指摘事項一覧"),
    CONVENED_TITLE: ("令和8年度 第2四半期 運用状況報告書", "障害報告書(2件)"),
}
MEETING_PLACE = "市役所本庁舎 5階 第1会議室"
MEETING_URL = "https://meet.example.jp/kairan-demo"


def demo_pdf(title: str) -> bytes:
    """A small, valid one-page PDF whose text is the material's title (ASCII only)."""
    text = title.encode("ascii", "replace").decode()
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _draft(
    committee: Committee,
    title: str,
    explanation: str,
    deadline: dt.datetime,
    created_at: dt.datetime,
) -> Circulation:
    secretariat = (
        Membership.objects.current().filter(committee=committee, role=Role.SECRETARIAT).first()
    )
    assert secretariat is not None, "the demo council needs a secretariat"
    circulation = Circulation.objects.create(
        committee=committee,
        title=title,
        explanation=explanation,
        deadline=deadline,
        created_by=secretariat.user,
        created_at=created_at,
        updated_at=created_at,
    )
    for order, (material_title, english) in enumerate(
        [("議事録", "Minutes"), ("参考資料", "Reference")], start=1
    ):
        content = demo_pdf(f"{english}: demo material {order}")
        material = Material(
            circulation=circulation,
            title=MATERIAL_TITLES.get(title, (material_title, material_title))[order - 1],
            order=order,
            original_name=f"{material_title}.pdf",
            content_type="application/pdf",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            uploaded_by=secretariat.user,
            uploaded_at=created_at,
        )
        material.file.save("demo", ContentFile(content), save=False)
        material.save()
    for membership in Membership.objects.current().filter(
        committee=committee, role__in=SITTING_ROLES
    ):
        Recipient.objects.create(
            circulation=circulation,
            user=membership.user,
            membership=membership,
            role=membership.role,
            created_at=created_at,
        )
    return circulation


def at_five_pm_jst(day_offset: int, now: dt.datetime) -> dt.datetime:
    """Councils set deadlines like 「9月10日(木) 17:00まで」: 17:00 Japan time."""
    jst = dt.timezone(dt.timedelta(hours=9))
    day = now.astimezone(jst).date() + dt.timedelta(days=day_offset)
    return dt.datetime.combine(day, dt.time(17, 0), tzinfo=jst)


def load_demo_circulations(committee: Committee) -> None:
    """Idempotent: does nothing when the demo circulations already exist."""
    if Circulation.objects.filter(committee=committee, title=OPEN_TITLE).exists():
        return
    now = timezone.now()
    with transaction.atomic():
        secretariat = (
            Membership.objects.current()
            .filter(committee=committee, role=Role.SECRETARIAT)
            .first()
            .user
        )
        # Closed at its deadline yesterday, waiting for the chair's decision.
        closed = _draft(
            committee,
            CLOSED_TITLE,
            "令和8年度の内部監査報告書をお送りします。\n\n**審議すべき重要事項**の有無についてご意見ください。",
            deadline=at_five_pm_jst(-2, now),
            created_at=now - dt.timedelta(days=10),
        )
        send_circulation(closed.pk, by=secretariat, now=now - dt.timedelta(days=9))
        answers = [
            (Reply.Kind.NO_OPINION, "", False),
            (Reply.Kind.OPINION, "監査指摘事項3の改善状況について、会議で説明を受けたい。", True),
            (Reply.Kind.NO_OPINION, "", None),
        ]
        _reply(_recipients(closed), answers, now - dt.timedelta(days=4))
        close_circulation(closed.pk, now=at_five_pm_jst(-2, now) + dt.timedelta(seconds=30))

        # Open, with a week to go and two replies so far.
        open_one = _draft(
            committee,
            OPEN_TITLE,
            "第45回管理運用会議の議事録(案)を送付します。\n\n"
            "- 内容をご確認ください\n- 修正のご意見があればお寄せください",
            deadline=at_five_pm_jst(7, now),
            created_at=now - dt.timedelta(days=1),
        )
        send_circulation(open_one.pk, by=secretariat, now=now - dt.timedelta(hours=20))
        answers = [
            (Reply.Kind.NO_OPINION, "", False),
            (Reply.Kind.OPINION, "誤字が1か所あります(3頁)。", False),
        ]
        _reply(_recipients(open_one)[-2:], answers, now - dt.timedelta(hours=2))

        # Decided 開催する last week; the meeting is in ten days (created last, so that the
        # two above keep the numbers the README gives them).
        _convened(committee, secretariat, now)


def _recipients(circulation: Circulation) -> list[Recipient]:
    return list(circulation.recipients.select_related("user").order_by("id"))


def _reply(
    recipients: list[Recipient], answers: list[tuple[str, str, bool | None]], when: dt.datetime
) -> None:
    """The first recipients answer, each as the member themselves, at `when`."""
    for recipient, (kind, opinion, meeting) in zip(recipients, answers, strict=False):
        submit_reply(recipient=recipient, kind=kind, opinion=opinion, meeting_needed=meeting,
                     submitted_by=recipient.user, now=when)  # fmt: skip


def _convened(committee: Committee, secretariat: User, now: dt.datetime) -> None:
    convened = _draft(
        committee,
        CONVENED_TITLE,
        "第2四半期の運用状況報告をお送りします。",
        deadline=at_five_pm_jst(-12, now),
        created_at=now - dt.timedelta(days=20),
    )
    send_circulation(convened.pk, by=secretariat, now=now - dt.timedelta(days=19))
    answers = [
        (Reply.Kind.OPINION, "障害報告2件の再発防止策について、会議で審議が必要です。", True),
        (Reply.Kind.NO_OPINION, "", False),
    ]
    _reply(_recipients(convened), answers, now - dt.timedelta(days=15))
    close_circulation(convened.pk, now=at_five_pm_jst(-12, now) + dt.timedelta(seconds=30))
    chair = Membership.objects.current().filter(committee=committee, role=Role.CHAIR).first()
    assert chair is not None, "the demo council needs a chair"
    decide(
        convened.pk,
        convene=True,
        reason="再発防止策について審議が必要との意見があり、会議を開催します。",
        by=chair.user,
        now=now - dt.timedelta(days=11),
    )
    starts = at_five_pm_jst(10, now).replace(hour=14)
    schedule_meeting(
        convened.pk,
        by=secretariat,
        details=MeetingDetails(
            starts_at=starts,
            ends_at=starts.replace(hour=16),
            place=MEETING_PLACE,
            web_url=MEETING_URL,
            note="会場またはウェブ会議でご出席ください。\n\n- 資料は当日配布します",
        ),
        now=now - dt.timedelta(days=10),
    )
