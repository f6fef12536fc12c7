"""Demo public records (公開記録) for `make demo`, visible without login at /records/:

- the minutes of the demo council's 第1回 session (circulation/demo_sessions.py: the first
  seed's agenda, attendance and elections), written like the city's record of its 2021
  session (seeds/000_…): 議題 1–5, 会長選任, the Q&A by role, a withheld passage, and 次回の開催
  to be decided by written circulation; checked by the attendees, approved by the chair and
  published;
- the record of that written deliberation (書面開催): a circulation the chair decided
  開催しない, with its Q&A.

Built through the services the portal uses, with the clock passed in.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.utils import timezone

from circulation.demo import demo_pdf
from circulation.models import Circulation, Material, Meeting, Minutes
from circulation.models import Recipient as RecipientRow
from circulation.reads.minutes import MinutesContent, PartInput, checker_candidates
from circulation.services.closing import close_circulation
from circulation.services.decisions import decide
from circulation.services.minutes_drafts import (
    approve_minutes,
    check_minutes,
    revise_minutes,
    send_for_check,
    start_session_minutes,
    start_written_record,
)
from circulation.services.publication import request_publication, update_record_settings
from circulation.services.questions import answer_question, ask_question
from circulation.services.replies import submit_reply
from circulation.services.sending import send_circulation
from portal.models import SITTING_ROLES, Membership, Role, User

if TYPE_CHECKING:
    from portal.demo import DemoCouncil

JST = dt.timezone(dt.timedelta(hours=9))
WRITTEN_TITLE = "令和8年度 第1四半期 運用状況報告について"
WRITTEN_MATERIAL_TITLE = "令和8年度 第1四半期 運用状況報告書"
R, Q, T = "result", "qa", "text"
MEMBER, SECRETARIAT = Role.MEMBER.value, Role.SECRETARIAT.value


def _parts() -> list[PartInput]:
    return [
        PartInput(R, "住民基本台帳ネットワークシステム統括責任者よりあいさつ。",
                  heading="1 開会あいさつ"),
        PartInput(R, "委員及び事務局の紹介。", heading="2 委員紹介・事務局紹介"),
        PartInput(R, "会長及び職務代理者を選任した(互選)。", heading="3 会長選任"),
        PartInput(R, "住民基本台帳ネットワークシステムの経緯と概略、長崎市のセキュリティ対策の"
                     "体制、前回審議会開催後の内部監査及び管理運用会議について報告した。",
                  heading="4 住民基本台帳ネットワークシステムの概要"),
        PartInput(Q, "研修計画について、担当職員に対するものはe-ラーニングと実務研修の2つか。",
                  speaker=MEMBER),
        PartInput(Q, "その通り2つの研修を行っている。", speaker=SECRETARIAT),
        PartInput(Q, "この研修をきちんと受け、完了しているのかの確認を行っているか。",
                  speaker=MEMBER),
        PartInput(Q, "受講完了者リストにて確認している。実務研修においても、同様に確認している。",
                  speaker=SECRETARIAT),
        PartInput(Q, "システム障害時の対応について", speaker=MEMBER),
        PartInput(Q, "専門業者が対応する。", speaker=SECRETARIAT),
        PartInput(Q, "障害時の連絡経路は、統括責任者から保守業者の当番者へ直通の回線を使い、"
                     "切替先は本庁舎の予備系サーバ室とする。", speaker=SECRETARIAT,
                  withheld=True, withheld_reason="セキュリティ上の理由"),
        PartInput(T, "次回の開催については、管理運用会議の議事録及び内部監査の結果報告等を"
                     "各委員へ送付し、期限を決めて審議すべき重要事項の有無をメール等で回答して"
                     "いただき、その結果を会長に報告し、開催の要否を決定していただく(書面による"
                     "照会)こととした。", heading="5 その他(次回審議会の開催等)"),
        PartInput(Q, "特段意見がなければ開催されないとなるので、期限を決めて意見の有無をメールで"
                     "回答するとすれば、もっと明確になるので、その方法でいい。", speaker=MEMBER),
        PartInput(Q, "ご意見のとおり、資料を送付し、メールにて意見のやり取りを行うやり方に、"
                     "次回から変えていきたいと考えている。", speaker=SECRETARIAT),
    ]  # fmt: skip


def load_demo_records(council: DemoCouncil) -> None:
    """Idempotent: does nothing when the council has records already."""
    committee, secretariat, chair = council.committee, council.secretariat, council.chair
    if Minutes.objects.filter(committee=committee).exists():
        return
    update_record_settings(committee, by=secretariat, public_names=False, chair_confirms=False,
                           department="市民生活部住民情報課")  # fmt: skip
    first = (
        Meeting.objects.filter(committee=committee, number=1, starts_at__lt=timezone.now())
        .order_by("starts_at")
        .first()
    )
    if first is None:  # the sessions' demo made none: the written deliberation only
        _written_deliberation(committee, secretariat, chair, timezone.now() - dt.timedelta(days=30))
        return
    _session_minutes(first, secretariat, chair, first.starts_at)
    _written_deliberation(committee, secretariat, chair, first.starts_at + dt.timedelta(days=7))


def _session_minutes(meeting, secretariat, chair, starts) -> None:
    at = starts + dt.timedelta(days=1)
    minutes = start_session_minutes(meeting.pk, by=secretariat, now=at)
    first = MinutesContent.of(minutes.versions.get())
    content = MinutesContent(**{**first.__dict__, "parts": _parts(),
                                "note": "審議結果と質疑を記入"})  # fmt: skip
    revise_minutes(minutes.pk, by=secretariat, content=content, base_version=1, now=at)
    attended = [pk for pk, _name, present in checker_candidates(minutes) if present]
    send_for_check(minutes.pk, by=secretariat, deadline=at + dt.timedelta(days=7),
                   checker_ids=attended, now=at)  # fmt: skip
    for person in User.objects.filter(pk__in=attended):
        check_minutes(minutes.pk, by=person, version=2, approved=True,
                      now=at + dt.timedelta(days=2))  # fmt: skip
    approve_minutes(minutes.pk, by=chair, version=2, now=at + dt.timedelta(days=8))
    request_publication(minutes.pk, by=secretariat, version=2, now=at + dt.timedelta(days=9))


def _written_deliberation(committee, secretariat, chair, sent) -> Minutes:
    deadline = (sent + dt.timedelta(days=7)).replace(hour=17)
    circulation = Circulation.objects.create(
        committee=committee, title=WRITTEN_TITLE, deadline=deadline, created_by=secretariat,
        created_at=sent - dt.timedelta(hours=1), updated_at=sent - dt.timedelta(hours=1),
        explanation="第1四半期の運用状況報告書をお送りします。審議すべき重要事項の有無を"
                    "ご回答ください。",
    )  # fmt: skip
    content = demo_pdf("Quarterly report")
    material = Material(
        circulation=circulation, title=WRITTEN_MATERIAL_TITLE, order=1,
        original_name="運用状況報告書.pdf", content_type="application/pdf", size=len(content),
        sha256=hashlib.sha256(content).hexdigest(), uploaded_by=secretariat, uploaded_at=sent,
    )  # fmt: skip
    material.file.save("demo", ContentFile(content), save=False)
    material.save()
    seats = Membership.objects.on(sent.date()).filter(committee=committee, role__in=SITTING_ROLES)
    for seat in seats:
        RecipientRow.objects.create(circulation=circulation, user=seat.user, membership=seat,
                                    role=seat.role, created_at=sent)  # fmt: skip
    send_circulation(circulation.pk, by=secretariat, now=sent)
    recipients = list(circulation.recipients.select_related("user").order_by("id"))
    question = ask_question(circulation.pk, by=recipients[-1].user,
                            text="障害の件数は前年同期と比べてどうか。",
                            now=sent + dt.timedelta(days=1))  # fmt: skip
    answer_question(question.pk, by=secretariat, text="前年同期と同じく0件です。",
                    now=sent + dt.timedelta(days=2))  # fmt: skip
    for recipient in recipients:
        submit_reply(recipient=recipient, kind="no_opinion", opinion="", meeting_needed=False,
                     submitted_by=recipient.user, now=sent + dt.timedelta(days=3))  # fmt: skip
    close_circulation(circulation.pk, now=deadline + dt.timedelta(seconds=30))
    decide(circulation.pk, convene=False, by=chair, now=deadline + dt.timedelta(days=1),
           reason="全委員から審議すべき重要事項はないとの回答があったため。")  # fmt: skip
    record = start_written_record(circulation.pk, by=secretariat,
                                  now=deadline + dt.timedelta(days=2))  # fmt: skip
    request_publication(record.pk, by=secretariat, version=1, now=deadline + dt.timedelta(days=2))
    return record
