"""Demo consultations (諮問) for `make demo`: the second council, 長崎市個人情報保護審議会
(from the city's public record of its session): 諮問第65号 and 第66号 answered, 第67号 open
for votes. Built through the same services the portal uses, with the clock passed in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils import timezone

from circulation.demo import at_five_pm_jst, demo_pdf
from circulation.models import (
    Circulation,
    Consultation,
    Result,
    Rider,
    Vote,
)
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
from circulation.services.drafts import DraftContent, sitting_memberships
from circulation.services.materials import NewMaterial
from circulation.services.reports import issue_report
from circulation.services.riders import record_rider_response
from circulation.services.sending import send_circulation
from circulation.services.votes import ItemChoice, submit_votes
from circulation.uploads.checks import check_upload
from portal.models import Committee, User

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
    session = at_five_pm_jst(-10, now).replace(hour=15)
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
    responded = now - dt.timedelta(hours=3)
    record_rider_response(
        rider.pk,
        by=people.center,
        text=RESPONSE_65,
        # The day of the response itself: three hours ago is yesterday just after midnight.
        responded_on=timezone.localdate(responded),
        done=True,
        now=responded,
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
        deadline=at_five_pm_jst(7, now),
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
