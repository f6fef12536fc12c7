"""Consultations (諮問) in a real browser: every page passes axe and the explicit checks in
Japanese and English. 佐藤 (secretariat, desktop) sends 諮問第65号 from its page; 田中
(member, phone) finds it on the home page, forgets to choose a vote (the error is tied to the
form, what he typed is kept), then votes; the one-click link's confirmation page; 山田
(chair) confirms the result and adopts the rider; 佐藤 issues the report; 木村 (implementing
body) records the rider's response."""

from __future__ import annotations

import datetime as dt
import re

from circulation.jobs.due import record_heartbeat
from circulation.models import Circulation, Consultation, ItemVote, Rider, RiderResponse
from circulation.services.closing import close_circulation
from tests.browser.a11y import assert_errors_tied_to_fields, check_here, check_page
from tests.browser.helpers import button, login, page_text, switch_language
from tests.consultations import helpers as h
from tests.consultations.conftest import _body

RIDER = "定期的に作業者の操作記録を確認すること。"


def test_a_consultation_from_sending_to_the_riders_response(new_page, council):
    body = _body(council, "kimura@city.example.jp", "木村 実施機関")
    circulation = h.register(
        council, staff=[body], deadline=dt.datetime.now(dt.UTC) + dt.timedelta(days=7)
    )
    secretariat = new_page("desktop")
    login(secretariat, council.secretariat.email)
    secretariat.goto(f"/c/committees/{council.committee.pk}/consultations/")
    check_page(secretariat)
    secretariat.get_by_role("link", name=circulation.title).click()
    secretariat.wait_for_load_state()
    check_page(secretariat)
    button(secretariat, "送付する").click()
    secretariat.wait_for_load_state()
    assert Circulation.objects.get(pk=circulation.pk).state == Circulation.State.OPEN
    secretariat.goto(f"/c/committees/{council.committee.pk}/consultations/new/")
    check_page(secretariat)
    secretariat.goto(f"/c/committees/{council.committee.pk}/consultations/rules/")
    check_page(secretariat)

    # 田中 on his phone: home, the page, an empty vote, then his vote with a rider.
    member = new_page("phone")
    login(member, council.members[0].email)
    member.locator(".todo--vote").wait_for()  # やること: 賛否待ち
    check_page(member)
    member.get_by_role("link", name=re.compile("資料を見て賛否を表明する")).click()
    member.wait_for_load_state()
    items = h.items_of(circulation)
    member.locator(f"#id_opinion_{items[0].pk}").fill("公益上の必要性はある。")
    button(member, "回答を送信").click()
    member.wait_for_load_state()
    assert_errors_tied_to_fields(member)
    assert member.locator(f"#id_opinion_{items[0].pk}").input_value() == "公益上の必要性はある。"
    member.locator(f"#id_vote_{items[0].pk}_0").check()
    member.locator(f"#id_vote_{items[1].pk}_2").check()
    member.locator(f"#id_rider_{items[0].pk}").fill(RIDER)
    button(member, "回答を送信").click()
    member.wait_for_load_state()
    assert ItemVote.objects.filter(proposed_rider=RIDER).exists(), page_text(member)
    check_page(member)

    # The one-click link's confirmation page, signed out.
    from circulation.mail.tokens import Purpose, make_token

    token = make_token(h.receipt(circulation, council.members[1]), Purpose.VOTE)
    link = new_page("phone")
    link.goto(f"/c/v/{token}/?item=1&vote=approve")
    check_page(link)
    button(link, "承認").click()
    link.wait_for_load_state()
    h.vote(circulation, council.members[2], "approve", "approve")

    # Closed; the chair confirms, adopting 田中's rider.
    close_circulation(circulation.pk, now=circulation.deadline + dt.timedelta(seconds=1))
    Circulation.objects.filter(pk=circulation.pk).update(deadline=dt.datetime.now(dt.UTC))
    chair = new_page("desktop")
    login(chair, council.chair.email)
    chair.goto(f"/c/{circulation.pk}/consultation/result/")
    check_page(chair)
    proposal = ItemVote.objects.get(proposed_rider=RIDER)
    chair.locator(f"#id_adopt_{proposal.pk}").check()
    chair.locator("#id_reasons").fill("公益上の必要性があるため。")
    button(chair, "結果を確定する").click()
    chair.wait_for_load_state()
    assert Consultation.objects.get(pk=circulation.pk).is_decided, page_text(chair)
    chair.goto(f"/c/{circulation.pk}/consultation/votes/")
    check_page(chair)

    # The report (its own printable document): draft, issue, and the decision record.
    secretariat.goto(f"/c/{circulation.pk}/consultation/report/")
    check_here(secretariat)
    button(secretariat, "答申する").click()
    secretariat.wait_for_load_state()
    assert Consultation.objects.get(pk=circulation.pk).is_issued, page_text(secretariat)
    check_here(secretariat)
    secretariat.goto(f"/c/{circulation.pk}/consultation/record/")
    check_here(secretariat)
    secretariat.goto(f"/c/{circulation.pk}/consultation/")
    switch_language(secretariat, "en")
    for path in ("report/", "record/"):
        secretariat.goto(f"/c/{circulation.pk}/consultation/{path}")
        check_here(secretariat)

    # 木村 records the response to the rider.
    staff = new_page("desktop")
    login(staff, body.email)
    rider = Rider.objects.get(consultation_id=circulation.pk)
    staff.goto(f"/c/{circulation.pk}/consultation/riders/{rider.pk}/respond/")
    check_page(staff)
    staff.locator("#id_text").fill("毎月、作業履歴の提出を受けて確認している。")
    staff.locator("#id_done").check()
    button(staff, "対応状況を登録").click()
    staff.wait_for_load_state()
    assert RiderResponse.objects.filter(rider=rider, done=True).exists(), page_text(staff)
    check_page(staff)
    staff.goto(f"/c/committees/{council.committee.pk}/riders/")
    secretariat.goto(f"/c/committees/{council.committee.pk}/riders/")
    check_here(secretariat)


def test_the_secretariats_pages_of_a_meeting_and_a_held_vote(new_page, council):
    """Recording a meeting's result and its statements, editing the report, and recording a
    member's vote for them: each page in both languages, a mistake tied to its field."""
    body = _body(council, "kimura@city.example.jp", "木村 実施機関")
    open_one = h.sent(council, staff=[body], number=64)
    draft = h.register(council, staff=[body], items=["保育業務支援システムの利用"])
    record_heartbeat("due_work")  # beat is running: no warning on the secretariat's pages
    desk = new_page("desktop")
    login(desk, council.secretariat.email)
    recipient = h.receipt(open_one, council.members[0])
    desk.goto(f"/c/{open_one.pk}/consultation/votes/{recipient.pk}/record/")
    check_page(desk)
    desk.goto(f"/c/{draft.pk}/consultation/meeting-result/")
    check_page(desk)
    button(desk, "結果を登録する").click()  # nothing chosen
    desk.wait_for_load_state()
    assert_errors_tied_to_fields(desk)
    item = h.items_of(draft)[0]
    desk.locator(f"#id_item_{item.pk}_0").check()
    desk.locator("#id_rider_1").fill("ログの保存を保護者に周知すること。")
    desk.locator("#id_reasons").fill("保育の質の向上に資するため。")
    button(desk, "結果を登録する").click()
    desk.wait_for_load_state()
    assert Consultation.objects.get(pk=draft.pk).is_decided, page_text(desk)
    desk.goto(f"/c/{draft.pk}/consultation/statements/")
    check_page(desk)
    desk.locator("#id_statement-0-text").fill("IDで権限が異なるということでいいのか。")
    button(desk, "発言を登録する").click()
    desk.wait_for_load_state()
    check_page(desk)
    desk.goto(f"/c/{draft.pk}/consultation/report/edit/")
    check_page(desk)
