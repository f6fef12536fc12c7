"""The member's answer to the meeting question has one name wherever it is asked or quoted:
「審議すべき重要事項の有無」 (English: "Is there an important matter that needs a meeting?").
「開催の要否」 is the chair's decision; a member's view is never called by that word."""

from __future__ import annotations

import re

import pytest

from circulation.models import OutboxMessage
from circulation.services.replies import submit_reply
from tests.mail_replies.test_links import links_in

pytestmark = pytest.mark.django_db

MEMBERS_WORD = "審議すべき重要事項の有無"
CHAIRS_WORD = "開催の要否"
MEMBERS_WORD_EN = "Is there an important matter that needs a meeting?"


def assert_members_word(text: str) -> None:
    assert MEMBERS_WORD in text
    assert CHAIRS_WORD not in text


def test_the_one_click_reply_form_asks_the_members_question(client, notice, during):
    page = client.get(links_in(notice)["reply"]).content.decode()
    assert re.search(rf"<legend>{MEMBERS_WORD}</legend>", page)
    assert_members_word(page)


def test_the_page_and_the_receipt_after_a_one_click_reply_name_it_alike(
    client, notice, tanaka, during
):
    done = client.post(
        links_in(notice)["reply"],
        {"kind": "opinion", "opinion": "第3項を確認したい。", "meeting": "yes", "base_version": 0},
    )
    assert done.status_code == 200
    page = done.content.decode()
    assert f"<dt>{MEMBERS_WORD}</dt><dd>審議が必要</dd>" in page
    receipt = OutboxMessage.objects.get(purpose="circulation.reply_receipt")
    assert f"{MEMBERS_WORD}: 審議が必要" in receipt.body_text
    assert f"<dt>{MEMBERS_WORD}</dt><dd>審議が必要</dd>" in receipt.body_html
    assert CHAIRS_WORD not in receipt.body_text + receipt.body_html


def test_the_receipt_of_a_web_reply_names_it_alike(tanaka, council, during):
    submit_reply(recipient=tanaka, kind="no_opinion", meeting_needed=False,
                 submitted_by=council.members[0])  # fmt: skip
    receipt = OutboxMessage.objects.get(purpose="circulation.reply_receipt")
    assert f"{MEMBERS_WORD}: 審議は不要" in receipt.body_text
    assert f"<dt>{MEMBERS_WORD}</dt><dd>審議は不要</dd>" in receipt.body_html
    assert CHAIRS_WORD not in receipt.body_text + receipt.body_html


def test_the_english_receipt_uses_the_english_of_the_same_words(tanaka, council, during):
    person = council.members[0]
    person.language = "en"
    person.save(update_fields=["language"])
    tanaka.user = person
    submit_reply(recipient=tanaka, kind="no_opinion", meeting_needed=True, submitted_by=person)
    receipt = OutboxMessage.objects.get(purpose="circulation.reply_receipt")
    assert f"{MEMBERS_WORD_EN}: A meeting is needed" in receipt.body_text


def test_the_secretariat_records_a_held_mail_with_the_members_question(client, council, feed):
    held = feed("forwarded_wrong_sender.eml")
    client.force_login(council.secretariat)
    page = client.get(f"/c/committee/{council.committee.pk}/mail/{held.pk}/").content.decode()
    assert re.search(rf"<legend>{MEMBERS_WORD}</legend>", page)
    assert "<legend>開催の要否についての意見</legend>" not in page
