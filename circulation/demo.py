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
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from circulation.models import (
    Circulation,
    Consultation,
    Material,
    Recipient,
    Reply,
    Result,
    Rider,
    Vote,
)
from circulation.services.closing import close_circulation
from circulation.services.consultation_results import (
    RiderDraft,
    StatementDraft,
    add_statements,
    record_meeting_result,
)
from circulation.services.consultations import (
    ConsultationContent,
    register_consultation,
    update_consultation_rules,
)
from circulation.services.decisions import decide
from circulation.services.drafts import DraftContent, sitting_memberships
from circulation.services.materials import NewMaterial
from circulation.services.meetings import MeetingDetails, schedule_meeting
from circulation.services.replies import submit_reply
from circulation.services.reports import issue_report
from circulation.services.riders import record_rider_response
from circulation.services.sending import send_circulation
from circulation.services.votes import ItemChoice, submit_votes
from circulation.uploads.checks import check_upload
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


def _at_five_pm_jst(day_offset: int, now: dt.datetime) -> dt.datetime:
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
            deadline=_at_five_pm_jst(-2, now),
            created_at=now - dt.timedelta(days=10),
        )
        send_circulation(closed.pk, by=secretariat, now=now - dt.timedelta(days=9))
        answers = [
            (Reply.Kind.NO_OPINION, "", False),
            (Reply.Kind.OPINION, "監査指摘事項3の改善状況について、会議で説明を受けたい。", True),
            (Reply.Kind.NO_OPINION, "", None),
        ]
        _reply(_recipients(closed), answers, now - dt.timedelta(days=4))
        close_circulation(closed.pk, now=_at_five_pm_jst(-2, now) + dt.timedelta(seconds=30))

        # Open, with a week to go and two replies so far.
        open_one = _draft(
            committee,
            OPEN_TITLE,
            "第45回管理運用会議の議事録(案)を送付します。\n\n"
            "- 内容をご確認ください\n- 修正のご意見があればお寄せください",
            deadline=_at_five_pm_jst(7, now),
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
        deadline=_at_five_pm_jst(-12, now),
        created_at=now - dt.timedelta(days=20),
    )
    send_circulation(convened.pk, by=secretariat, now=now - dt.timedelta(days=19))
    answers = [
        (Reply.Kind.OPINION, "障害報告2件の再発防止策について、会議で審議が必要です。", True),
        (Reply.Kind.NO_OPINION, "", False),
    ]
    _reply(_recipients(convened), answers, now - dt.timedelta(days=15))
    close_circulation(convened.pk, now=_at_five_pm_jst(-12, now) + dt.timedelta(seconds=30))
    chair = Membership.objects.current().filter(committee=committee, role=Role.CHAIR).first()
    assert chair is not None, "the demo council needs a chair"
    decide(
        convened.pk,
        convene=True,
        reason="再発防止策について審議が必要との意見があり、会議を開催します。",
        by=chair.user,
        now=now - dt.timedelta(days=11),
    )
    starts = _at_five_pm_jst(10, now).replace(hour=14)
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


# --- Consultations (諮問): the second seed's council ---------------------------------------

CONSULTATION_65 = "戸籍総合システムにおけるクラウドサービスの利用について"
CONSULTATION_66 = "保育業務支援システムの利用"
CONSULTATION_OPEN = "住民票の写し等のコンビニ交付におけるクラウドサービスの利用について"
RIDER_65 = "業者に任せきりにせず、定期的に、作業者の操作記録などを確認すること。"
RESPONSE_65 = (
    "クラウド移行後の作業者の作業履歴を毎月提出させ、市の担当者が内容を確認している。"
    "確認の結果は四半期ごとに審議会へ報告する。"
)
# What was said at the session (令和2年度第2回, from the city's public record), shortened.
STATEMENTS_65 = [
    ("qa", "member", "このデータセンターというのは、長崎市のものか。"),
    ("qa", "implementing_body", "データセンターは、民間企業のデータセンターになる。"),
    ("qa", "member", "システム障害時の対応について"),
    ("qa", "implementing_body", "専門業者が対応する。(詳細はセキュリティ上の理由から未記載)"),
    ("qa", "member", "一番心配なのは漏えい。民間に委託するときに、市の方でチェックできるのか。"),
    (
        "qa",
        "implementing_body",
        "クラウド移行後は、作業者の作業履歴もすべて残るようになっている。"
        "それを長崎市側に、定期的に提出してもらい、管理することが可能になっている。",
    ),
    (
        "deliberation",
        "member",
        "公益上の必要性は、結論的にはあると考える。災害対策とセキュリティの"
        "問題も今よりはよくなり、コスト面もメリットがある。",
    ),
    (
        "deliberation",
        "member",
        "セキュリティ面を含めた運用について、契約が長期のため、一定期間での"
        "運用について確認することが望ましい。",
    ),
    (
        "report",
        "secretariat",
        "業者に任せっきりでなくて、定期的に、操作記録などを確認するように"
        "とのご意見をいただいたので、その旨を、この答申に付言する。",
    ),
]
STATEMENTS_66 = [
    ("qa", "member", "IDとパスワード、IDで権限が異なるということでいいのか。"),
    (
        "qa",
        "implementing_body",
        "職員のIDについては、園長、保育士、幼児課の職員等で権限を分け、"
        "担当ごとにできることとできないことを分けて運用する予定。",
    ),
    (
        "qa",
        "member",
        "保護者のログイン等についてもログを保存するのであれば、周知が必要ではないか。",
    ),
    (
        "qa",
        "implementing_body",
        "ログの保存についても保護者に周知を図る。導入に当たって、そういった"
        "点も踏まえて考えていきたい。",
    ),
    (
        "deliberation",
        "member",
        "現状でできるリスクの軽減がきちんとできていれば、委員会としても賛成すべきだと思う。",
    ),
    ("report", "member", "意見なし。"),
]


@dataclass(frozen=True)
class DemoConsultationPeople:
    secretariat: User
    chair: User
    members: tuple[User, ...]
    center: User  # 実施機関: 中央地域センター
    childcare: User  # 実施機関: 幼児課


def _consultation_material(title: str) -> NewMaterial:
    content = demo_pdf(f"Consultation: {title[:20]}")
    return NewMaterial(
        title=title, order=1, upload=check_upload(ContentFile(content, name=f"{title}.pdf"))
    )


def _register_consultation(
    committee: Committee,
    people: DemoConsultationPeople,
    *,
    number: int,
    title: str,
    department: str,
    staff: User,
    items: list[str],
    reason: str,
    deadline: dt.datetime,
    now: dt.datetime,
) -> Circulation:
    recipients = [m.user_id for m in sitting_memberships(committee, timezone.localdate(now))]
    return register_consultation(
        committee,
        by=people.secretariat,
        draft=DraftContent(
            title=title, explanation="", deadline=deadline, recipient_ids=recipients
        ),
        content=ConsultationContent(
            number=number,
            department=department,
            staff_ids=[staff.pk],
            received_on=timezone.localdate(now),
            reason=reason,
            items=items,
        ),
        new_materials=[_consultation_material(f"諮問第{number}号 諮問書")],
        now=now,
    )


def _decided_at_the_session(
    circulation: Circulation,
    people: DemoConsultationPeople,
    *,
    riders: list[str],
    reasons: str,
    statements: list[tuple[str, str, str]],
    session: dt.datetime,
    issued: dt.datetime,
) -> None:
    items = {item.pk: Result.APPROVED for item in circulation.consultation.items.all()}
    record_meeting_result(
        circulation.pk,
        by=people.secretariat,
        results=items,
        riders=[RiderDraft(text) for text in riders],
        reasons=reasons,
        now=session,
    )
    add_statements(
        circulation.pk,
        by=people.secretariat,
        statements=[StatementDraft(section, role, text) for section, role, text in statements],
        now=session,
    )
    issue_report(
        circulation.pk,
        by=people.secretariat,
        report_date=timezone.localdate(issued),
        version=Consultation.objects.get(pk=circulation.pk).report_version,
        now=issued,
    )


def load_demo_consultations(committee: Committee, people: DemoConsultationPeople) -> None:
    """諮問第65号 (approved at the session with the rider about the operation logs, its
    response recorded), 諮問第66号 (approved, no rider), and 諮問第67号 open for votes.
    Idempotent like the rest of the demo."""
    if Consultation.objects.filter(committee=committee).exists():
        return
    now = timezone.now()
    update_consultation_rules(
        committee, by=people.secretariat, report_addressee="長崎市長 様", rider_reminder_months=6
    )
    received = now - dt.timedelta(days=24)
    session = _at_five_pm_jst(-10, now).replace(hour=15)
    issued = session + dt.timedelta(days=3)
    deadline = received + dt.timedelta(days=7)
    c65 = _register_consultation(
        committee,
        people,
        number=65,
        title=CONSULTATION_65,
        department="中央地域センター",
        staff=people.center,
        items=["戸籍総合システムにおけるクラウドサービスの利用"],
        reason="戸籍総合システムの機器更新に当たり、民間事業者のクラウドサービス(データセンター)"
        "を利用して戸籍情報を処理するため、個人情報保護条例に基づき諮問する。",
        deadline=deadline,
        now=received,
    )
    c66 = _register_consultation(
        committee,
        people,
        number=66,
        title=CONSULTATION_66,
        department="幼児課",
        staff=people.childcare,
        items=["保育業務支援システムの利用"],
        reason="市立保育所の登降園管理・保育記録を電子化する保育業務支援システムを導入し、"
        "保護者の個人情報を取り扱うため、個人情報保護条例に基づき諮問する。",
        deadline=deadline,
        now=received,
    )
    _decided_at_the_session(
        c65,
        people,
        riders=[RIDER_65],
        statements=STATEMENTS_65,
        session=session,
        issued=issued,
        reasons="公益上の必要性があり、災害対策とセキュリティの面でも現状より改善"
        "されると認められるため。",
    )
    rider = Rider.objects.get(consultation_id=c65.pk)
    record_rider_response(
        rider.pk,
        by=people.center,
        text=RESPONSE_65,
        responded_on=timezone.localdate(now),
        done=True,
        now=now - dt.timedelta(hours=3),
    )
    _decided_at_the_session(
        c66,
        people,
        riders=[],
        statements=STATEMENTS_66,
        session=session,
        issued=issued,
        reasons="保育の質の向上に資するものであり、必要な安全管理措置が講じられると認められるため。",
    )
    # Open for votes in writing (書面による議事), a week to go; one member has voted.
    open_one = _register_consultation(
        committee,
        people,
        number=67,
        title=CONSULTATION_OPEN,
        department="市民課",
        staff=people.center,
        items=["コンビニ交付システムのクラウドサービスへの移行", "証明書発行記録の外部保存"],
        reason="住民票の写し等のコンビニ交付に用いるシステムを、国の標準仕様に沿ったクラウド"
        "サービスへ移行するため、個人情報保護条例に基づき諮問する。",
        deadline=_at_five_pm_jst(7, now),
        now=now - dt.timedelta(days=1),
    )
    send_circulation(open_one.pk, by=people.secretariat, now=now - dt.timedelta(hours=20))
    first, second = list(open_one.consultation.items.all())
    voter = people.members[0]
    submit_votes(
        recipient=open_one.recipients.get(user=voter),
        choices=[
            ItemChoice(first.pk, Vote.APPROVE),
            ItemChoice(
                second.pk,
                Vote.ABSTAIN,
                opinion="保存期間を示してほしい。",
                proposed_rider="証明書発行記録の保存期間を定め、公表すること。",
            ),
        ],
        submitted_by=voter,
        now=now - dt.timedelta(hours=2),
    )
