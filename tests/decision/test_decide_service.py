"""Deciding whether to convene (開催の要否), as the chair, the acting chair and everyone
who may not decide see it."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from circulation.models import Circulation, Decision, OutboxMessage
from circulation.services.decisions import (
    ArchiveRefused,
    DecisionInvalid,
    DecisionRefused,
    archive_circulation,
    decide,
)
from portal.models import AuditEntry, Role
from portal.services.membership import set_chair_absent
from tests.decision.helpers import REASON, closed_scene, end_chair_term, jst_label

pytestmark = pytest.mark.django_db

EVERYONE_TOLD = {
    "yamada@example.jp", "suzuki@example.jp", "tanaka@example.jp", "takahashi@example.jp",
    "ito@example.jp", "sato@city.example.jp",
}  # fmt: skip


def notices(circulation: Circulation):
    return OutboxMessage.objects.filter(purpose="circulation.decision", circulation=circulation)


def test_the_chair_decides_and_every_recipient_and_the_secretariat_is_told_once(council, closed):
    decision = decide(closed.circulation.pk, convene=True, reason=REASON, by=council.chair)

    circulation = closed.reload()
    assert circulation.state == Circulation.State.DECIDED
    assert (decision.convene, decision.reason, decision.decided_by) == (True, REASON, council.chair)
    assert decision.decided_as == Role.CHAIR
    assert decision.decided_at == closed.decide_at
    entry = AuditEntry.objects.get(action="circulation.decided")
    assert entry.actor == council.chair
    assert entry.data["convene"] is True
    assert entry.committee == council.committee
    sent_to = list(notices(circulation).values_list("to_email", flat=True))
    assert sorted(sent_to) == sorted(EVERYONE_TOLD)  # one each, the former member not
    mail = notices(circulation).get(to_email="ito@example.jp")
    assert "開催する" in mail.subject
    assert "伊藤 委員 様" in mail.body_text
    assert REASON in mail.body_text
    assert "会長 山田 会長" in mail.body_text  # who decided, and as which role
    assert jst_label(closed.decide_at) in mail.body_text  # 12月4日(金) 10:00
    assert f"/c/{circulation.pk}/record/" in mail.body_text
    assert REASON in mail.body_html


def test_not_convening_is_told_as_such(council, closed):
    decide(closed.circulation.pk, convene=False, reason="全員が不要との回答。", by=council.chair)
    mail = notices(closed.circulation).get(to_email="tanaka@example.jp")
    assert "開催しない" in mail.subject
    assert "開催の要否: 開催しない" in mail.body_text


def test_the_reason_in_the_html_mail_is_text_not_markup(council, closed):
    decide(closed.circulation.pk, convene=False, reason="<script>x()</script>", by=council.chair)
    mail = notices(closed.circulation).get(to_email="tanaka@example.jp")
    assert "<script>" not in mail.body_html
    assert "&lt;script&gt;" in mail.body_html


def test_the_acting_chair_decides_when_the_secretariat_marks_the_chair_absent(council, closed):
    set_chair_absent(council.committee, True, by=council.secretariat)
    entry = AuditEntry.objects.get(action="committee.chair_absence.changed")
    assert (entry.actor, entry.data) == (council.secretariat, {"chair_absent": True})

    decision = decide(closed.circulation.pk, convene=False, reason="不要", by=council.acting_chair)

    assert decision.decided_as == Role.ACTING_CHAIR
    mail = notices(closed.circulation).get(to_email="yamada@example.jp")
    assert "職務代理者 鈴木 代理" in mail.body_text


def test_the_chair_marked_absent_cannot_decide(council, closed):
    set_chair_absent(council.committee, True, by=council.secretariat)
    with pytest.raises(DecisionRefused, match="会長が不在のときは職務代理者") as refused:
        decide(closed.circulation.pk, convene=True, reason=REASON, by=council.chair)
    assert refused.value.code == "not_decider"
    assert closed.reload().state == Circulation.State.CLOSED
    assert not Decision.objects.exists()
    assert not notices(closed.circulation).exists()
    refusal = AuditEntry.objects.get(action="circulation.decision.refused")
    assert (refusal.actor, refusal.result) == (council.chair, "refused")


def test_the_acting_chair_decides_when_the_chairs_term_has_ended(council, closed):
    end_chair_term(council, closed.decide_at.date() - dt.timedelta(days=1))
    decision = decide(closed.circulation.pk, convene=True, reason=REASON, by=council.acting_chair)
    assert decision.decided_as == Role.ACTING_CHAIR
    # The former chair received the circulation and is still told.
    assert notices(closed.circulation).filter(to_email="yamada@example.jp").exists()


def test_the_chair_whose_term_has_ended_cannot_decide(council, closed):
    end_chair_term(council, closed.decide_at.date() - dt.timedelta(days=1))
    with pytest.raises(DecisionRefused):
        decide(closed.circulation.pk, convene=True, reason=REASON, by=council.chair)


def test_the_acting_chair_cannot_decide_while_the_chair_sits(council, closed):
    with pytest.raises(DecisionRefused) as refused:
        decide(closed.circulation.pk, convene=True, reason=REASON, by=council.acting_chair)
    assert refused.value.code == "not_decider"


@pytest.mark.parametrize(
    "persona", ["member", "secretariat", "outsider", "other_secretariat", "former_member"]
)
def test_nobody_else_can_decide(council, closed, persona):
    person = council.members[0] if persona == "member" else getattr(council, persona)
    with pytest.raises(DecisionRefused) as refused:
        decide(closed.circulation.pk, convene=True, reason=REASON, by=person)
    assert refused.value.code == "not_decider"
    assert closed.reload().state == Circulation.State.CLOSED
    assert not Decision.objects.exists()


def test_deciding_before_the_circulation_closes_is_refused(council, still_open):
    with pytest.raises(DecisionRefused, match="締め切られるまで") as refused:
        decide(still_open.circulation.pk, convene=True, reason=REASON, by=council.chair)
    assert refused.value.code == "not_closed"
    assert still_open.reload().state == Circulation.State.OPEN
    assert not Decision.objects.exists()


def test_the_decision_is_final_a_second_decision_is_refused(council, closed):
    decide(closed.circulation.pk, convene=True, reason=REASON, by=council.chair)
    with pytest.raises(DecisionRefused, match="すでに決定") as refused:
        decide(closed.circulation.pk, convene=False, reason="やはり不要", by=council.chair)
    assert refused.value.code == "already_decided"
    assert Decision.objects.get().convene is True
    assert notices(closed.circulation).count() == len(EVERYONE_TOLD)


@pytest.mark.parametrize("reason", ["", "   \n  "])
def test_a_reason_is_required(council, closed, reason):
    with pytest.raises(DecisionInvalid, match="理由を入力してください"):
        decide(closed.circulation.pk, convene=True, reason=reason, by=council.chair)
    assert closed.reload().state == Circulation.State.CLOSED
    assert not AuditEntry.objects.filter(action="circulation.decided").exists()


def test_an_overlong_reason_is_refused_with_the_limit(council, closed):
    with pytest.raises(DecisionInvalid, match="4000文字以内"):
        decide(closed.circulation.pk, convene=True, reason="あ" * 4001, by=council.chair)


def test_the_secretariat_archives_a_decided_circulation(council, closed):
    with pytest.raises(ArchiveRefused, match="決定された"):
        archive_circulation(closed.circulation.pk, by=council.secretariat)
    decide(closed.circulation.pk, convene=False, reason="不要", by=council.chair)
    with pytest.raises(ArchiveRefused, match="事務局だけ"):
        archive_circulation(closed.circulation.pk, by=council.chair)

    archive_circulation(closed.circulation.pk, by=council.secretariat)

    circulation = closed.reload()
    assert circulation.state == Circulation.State.ARCHIVED
    assert circulation.get_state_display() == "完了"
    assert AuditEntry.objects.get(action="circulation.archived").actor == council.secretariat
    with pytest.raises(ArchiveRefused):
        archive_circulation(closed.circulation.pk, by=council.secretariat)


def test_marking_the_chair_present_again_is_audited_and_a_repeat_changes_nothing(council):
    set_chair_absent(council.committee, True, by=council.secretariat)
    set_chair_absent(council.committee, True, by=council.secretariat)
    set_chair_absent(council.committee, False, by=council.secretariat)
    council.committee.refresh_from_db()
    assert council.committee.chair_absent is False
    changes = AuditEntry.objects.filter(action="committee.chair_absence.changed")
    assert [e.data["chair_absent"] for e in changes.order_by("id")] == [True, False]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_decisions_racing_make_one_decision_and_one_set_of_notices(council):
    scene = closed_scene(council)
    results: list[str] = []
    barrier = threading.Barrier(2)

    def attempt(convene: bool) -> None:
        barrier.wait()
        try:
            decide(scene.circulation.pk, convene=convene, reason=REASON, by=council.chair)
            results.append("decided")
        except DecisionRefused as refused:
            results.append(refused.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(c,)) for c in (True, False)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["already_decided", "decided"]
    assert Decision.objects.count() == 1
    assert notices(scene.circulation).count() == len(EVERYONE_TOLD)
