"""The decision page (開催の要否) as the chair, the acting chair, the secretariat, members
and people from elsewhere see it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from circulation.models import Circulation, Decision, OutboxMessage
from circulation.services.closing import close_circulation
from circulation.services.decisions import decide
from portal.models import AuditEntry
from tests.decision.helpers import (
    ANSWER,
    OPINION,
    QUESTION,
    REASON,
    end_chair_term,
    jst_label,
    open_scene,
    reply,
)

pytestmark = pytest.mark.django_db


def page_url(scene) -> str:
    return reverse("circulation_decision", args=[scene.circulation.pk])


def text_of(response) -> str:
    return response.content.decode()


def test_the_chair_sees_tally_named_opinions_qa_and_who_did_not_reply(client, council, closed):
    client.force_login(council.chair)
    response = client.get(page_url(closed))
    assert response.status_code == 200
    html = text_of(response)
    tally = re.sub(r"\s+", " ", html[html.index('class="tally"') :][:800])
    assert "回答済み</dt><dd>3 / 5" in tally
    assert "意見なし</dt><dd>2" in tally
    assert "意見あり</dt><dd>1" in tally
    assert "審議が必要</dt><dd>1" in tally
    assert "未回答</dt><dd>2" in tally
    assert OPINION in html and "田中 委員" in html  # named
    assert QUESTION in html and ANSWER in html and "高橋 委員" in html
    not_replied = html[html.index('id="not-replied-heading"') : html.index('id="qa-heading"')]
    assert "伊藤 委員" in not_replied and "鈴木 代理" in not_replied
    assert "田中 委員" not in not_replied
    # The two choices are named in full and look different.
    assert re.search(
        r'<button type="submit" name="convene" value="yes"[^>]*'
        r'class="decision-button decision-button--yes">開催する</button>',
        html,
    )
    assert re.search(
        r'<button type="submit" name="convene" value="no"[^>]*'
        r'class="decision-button decision-button--no">開催しない</button>',
        html,
    )
    assert '<label for="id_reason">理由' in html


def test_the_chair_decides_on_the_page_and_then_sees_the_decision(client, council, closed):
    client.force_login(council.chair)
    confirmation = client.post(page_url(closed), {"convene": "yes", "reason": REASON})
    assert confirmation.status_code == 200 and not Decision.objects.exists()
    response = client.post(page_url(closed), {"convene": "yes", "reason": REASON,
                                              "confirmed": "1"})  # fmt: skip
    assert response.status_code == 302
    assert response.url == page_url(closed)
    assert closed.reload().state == Circulation.State.DECIDED
    assert OutboxMessage.objects.filter(purpose="circulation.decision").count() == 6

    html = text_of(client.get(page_url(closed)))
    assert "開催の要否を決定しました" in html
    assert '<p class="decision-outcome">開催する</p>' in html
    assert REASON in html
    assert "会長 山田 会長" in html
    assert jst_label(closed.decide_at, year=True) in html
    assert 'name="convene"' not in html  # no form once decided


def test_a_missing_reason_re_shows_the_form_with_the_error_tied_to_the_field(
    client, council, closed
):
    client.force_login(council.chair)
    response = client.post(page_url(closed), {"convene": "no", "reason": "   "})
    assert response.status_code == 200
    html = text_of(response)
    assert '<ul class="errorlist" id="id_reason_error"><li>理由を入力してください。</li>' in html
    assert 'aria-describedby="id_reason_help id_reason_error"' in html
    assert 'aria-invalid="true"' in html
    assert closed.reload().state == Circulation.State.CLOSED
    assert not Decision.objects.exists()


def test_the_typed_reason_is_kept_when_the_form_comes_back(client, council, closed):
    client.force_login(council.chair)
    # No button value (e.g. Enter pressed in an old browser): the reason must survive.
    response = client.post(page_url(closed), {"reason": "指摘事項を確認したい\n2行目"})
    html = text_of(response)
    assert "指摘事項を確認したい\n2行目</textarea>" in html
    assert 'id="id_convene_error"' in html
    assert not Decision.objects.exists()


def test_deciding_again_on_the_page_is_refused_and_the_typed_reason_is_shown(
    client, council, closed
):
    decide(closed.circulation.pk, convene=True, reason=REASON, by=council.chair)
    client.force_login(council.chair)
    response = client.post(page_url(closed), {"convene": "no", "reason": "別タブで書いた理由"})
    assert response.status_code == 409
    html = text_of(response)
    assert "開催の要否はすでに決定されています。" in html
    assert "別タブで書いた理由" in html
    assert Decision.objects.get().convene is True


def test_the_secretariat_sees_the_page_read_only_and_cannot_decide(client, council, closed):
    client.force_login(council.secretariat)
    html = text_of(client.get(page_url(closed)))
    assert OPINION in html and "田中 委員" in html
    assert 'name="convene"' not in html
    assert "開催の要否を決定する人: 会長 山田 会長" in html
    response = client.post(page_url(closed), {"convene": "yes", "reason": REASON})
    assert response.status_code == 403
    assert not Decision.objects.exists()


@pytest.mark.parametrize("persona", ["member", "acting_chair"])
def test_members_and_the_acting_chair_get_403_before_the_decision(client, council, closed, persona):
    client.force_login(council.members[0] if persona == "member" else council.acting_chair)
    assert client.get(page_url(closed)).status_code == 403
    assert client.post(page_url(closed), {"convene": "yes", "reason": "x"}).status_code == 403
    assert not Decision.objects.exists()


def test_after_the_decision_a_member_is_sent_to_the_decision_record(client, council, closed):
    decide(closed.circulation.pk, convene=True, reason=REASON, by=council.chair)
    client.force_login(council.members[0])
    response = client.get(page_url(closed))
    assert response.status_code == 302
    assert response.url == reverse("decision_record", args=[closed.circulation.pk])


@pytest.mark.parametrize("persona", ["outsider", "other_secretariat", "former_member"])
def test_people_outside_the_circulation_get_404(client, council, closed, persona):
    client.force_login(getattr(council, persona))
    assert client.get(page_url(closed)).status_code == 404
    assert client.post(page_url(closed), {"convene": "yes", "reason": "x"}).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, closed):
    response = client.get(page_url(closed))
    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_the_chair_cannot_open_the_page_before_the_deadline(client, council, still_open):
    client.force_login(council.chair)
    assert client.get(page_url(still_open)).status_code == 403
    assert client.post(page_url(still_open), {"convene": "yes", "reason": "x"}).status_code == 403
    assert still_open.reload().state == Circulation.State.OPEN


def test_the_secretariat_marks_the_chair_absent_and_the_acting_chair_decides(
    client, council, closed
):
    client.force_login(council.secretariat)
    absence_url = reverse("circulation_chair_absence", args=[closed.circulation.pk])
    response = client.post(absence_url, {"absent": "1"}, follow=True)
    html = text_of(response)
    assert "会長を不在にしました" in html
    assert "開催の要否を決定する人: 職務代理者 鈴木 代理" in html
    council.committee.refresh_from_db()
    assert council.committee.chair_absent is True
    assert AuditEntry.objects.filter(action="committee.chair_absence.changed").count() == 1

    client.force_login(council.chair)
    assert client.get(page_url(closed)).status_code == 403
    client.force_login(council.acting_chair)
    assert 'name="convene"' in text_of(client.get(page_url(closed)))
    client.post(page_url(closed), {"convene": "no", "reason": "不要と判断", "confirmed": "1"})
    assert Decision.objects.get().decided_by == council.acting_chair

    client.force_login(council.secretariat)
    client.post(absence_url, {"absent": "0"})
    council.committee.refresh_from_db()
    assert council.committee.chair_absent is False
    # The acting chair who decided still sees the decision.
    client.force_login(council.acting_chair)
    assert "不要と判断" in text_of(client.get(page_url(closed)))


def test_when_the_chairs_term_has_ended_the_acting_chair_gets_the_form(client, council, closed):
    end_chair_term(council, closed.decide_at.date() - dt.timedelta(days=1))
    client.force_login(council.acting_chair)
    assert 'name="convene"' in text_of(client.get(page_url(closed)))


@pytest.mark.parametrize(("persona", "status"), [("member", 403), ("outsider", 404)])
def test_only_the_secretariat_may_mark_the_chair_absent(client, council, closed, persona, status):
    client.force_login(council.members[0] if persona == "member" else council.outsider)
    url = reverse("circulation_chair_absence", args=[closed.circulation.pk])
    assert client.post(url, {"absent": "1"}).status_code == status
    council.committee.refresh_from_db()
    assert council.committee.chair_absent is False


def test_the_secretariat_archives_from_the_page(client, council, closed):
    archive_url = reverse("circulation_archive", args=[closed.circulation.pk])
    decide(closed.circulation.pk, convene=False, reason="不要", by=council.chair)
    client.force_login(council.members[0])
    assert client.post(archive_url).status_code == 403
    client.force_login(council.secretariat)
    assert "完了にする" in text_of(client.get(page_url(closed)))
    html = text_of(client.post(archive_url, follow=True))
    assert "書面照会を完了にしました。" in html
    assert closed.reload().state == Circulation.State.ARCHIVED
    assert client.get(archive_url).status_code == 405


def test_the_closing_summary_links_the_decider_to_the_decision_page(council, closed):
    """The secretariat follows on the same page, read-only; the acting chair, who does not
    decide, gets the circulation's page (tests/decision/test_closing_summary.py)."""
    summaries = OutboxMessage.objects.filter(purpose="circulation.closing_summary")
    decision_link = f"/c/{closed.circulation.pk}/decision/"
    assert decision_link in summaries.get(to_email="yamada@example.jp").body_text
    assert (
        "回答を確認して開催の要否を判断する"
        in summaries.get(to_email="yamada@example.jp").body_html
    )
    assert decision_link in summaries.get(to_email="sato@city.example.jp").body_text
    assert decision_link not in summaries.get(to_email="suzuki@example.jp").body_text


def test_opinions_are_shown_as_text_not_markup(client, council, time_machine):
    scene = open_scene(council)
    time_machine.move_to(scene.sent_at + dt.timedelta(days=1), tick=False)
    reply(scene.circulation, council.members[2], "opinion", '<img src=x onerror="alert(1)">')
    time_machine.move_to(scene.closed_at, tick=False)
    close_circulation(scene.circulation.pk, now=scene.closed_at)
    client.force_login(council.chair)
    html = text_of(client.get(page_url(scene)))
    assert "<img src=x" not in html
    assert "&lt;img src=x" in html


# --- The confirmation step -------------------------------------------------------------------


def test_the_choice_is_confirmed_with_the_reason_and_who_will_be_told_before_it_is_recorded(
    client, council, closed
):
    client.force_login(council.chair)
    reason = "指摘事項を確認するため開催しません。\n次回の定例会で報告を受けます。"
    response = client.post(page_url(closed), {"convene": "no", "reason": reason})
    assert response.status_code == 200
    html = text_of(response)
    assert "開催の要否の確認" in html
    assert "まだ記録していません" in html
    assert '<strong class="decision-choice decision-choice--no">開催しない</strong>' in html
    assert "指摘事項を確認するため開催しません。<br>次回の定例会で報告を受けます。" in html
    told = html[html.index('id="told-heading"') :]
    assert "通知する人(6人)" in told
    for name in ("田中 委員", "高橋 委員", "伊藤 委員", "山田 会長", "鈴木 代理", "佐藤 事務局"):
        assert f"<li>{name}</li>" in told
    assert "渡辺 前委員" not in told and "小林 部外者" not in told
    # Nothing recorded, nobody told, the circulation still waits.
    assert not Decision.objects.exists()
    assert not OutboxMessage.objects.filter(purpose="circulation.decision").exists()
    assert closed.reload().state == Circulation.State.CLOSED
    # The confirm button carries exactly the choice's name and posts the same reason.
    confirm = 'class="decision-button decision-button--no">開催しない</button>'
    assert '<button type="submit" ' + confirm in html
    posted = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    assert posted["convene"] == "no" and posted["confirmed"] == "1"
    client.post(page_url(closed), {"convene": "no", "reason": posted["reason"],
                                   "confirmed": "1"})  # fmt: skip
    decision = Decision.objects.get()
    assert decision.convene is False
    assert decision.reason == reason
    assert OutboxMessage.objects.filter(purpose="circulation.decision").count() == 6


def test_going_back_from_the_confirmation_keeps_the_reason_and_records_nothing(
    client, council, closed
):
    client.force_login(council.chair)
    response = client.post(page_url(closed), {"convene": "yes", "reason": REASON,
                                              "confirmed": "1", "edit": "1"})  # fmt: skip
    assert response.status_code == 200
    html = text_of(response)
    assert f"{REASON}</textarea>" in html
    assert 'name="convene" value="yes"' in html  # the choice is made again
    assert not Decision.objects.exists()


def test_a_refused_decision_opens_at_the_error_summary_linking_to_the_field(
    client, council, closed
):
    client.force_login(council.chair)
    html = text_of(client.post(page_url(closed), {"convene": "yes", "reason": ""}))
    # Focused when the page loads (autofocus), so the browser scrolls to it.
    assert '<div class="error-summary" id="error-summary" tabindex="-1" autofocus' in html
    summary = html[html.index('id="error-summary"') :]
    summary = summary[: summary.index("</div>")]
    assert 'href="#id_reason">理由: 理由を入力してください。</a>' in summary
    assert not Decision.objects.exists()
