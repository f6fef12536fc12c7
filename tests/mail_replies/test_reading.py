"""Reading what the member wrote, case by case: their text kept wherever it stands, quote
headers (wrapped ones too) and signatures gone, 意見なし recognised in the sentences members
write, 「質問」 mails, and receipts that quote at most a page."""

from __future__ import annotations

import pytest
import time_machine

from circulation.inbound.reading import interpret
from circulation.inbound.text import strip_quotes
from circulation.models import InboundMessage, OutboxMessage, Question
from tests.mail_replies.conftest import receive_via_mta

pytestmark = pytest.mark.django_db
QUOTE = "> 田中 委員 様\n>\n> 議事録をご確認ください。"


EN_HEAD = "On Tue, Sep 1, 2026 at 9:00 AM"
ADDRESS = "<kairan@x.jp>"
FIX = "第3項を修正してください。"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        # Below the quote, with something above it (even "Hi,")
        (f"Hi,\n\n{EN_HEAD} Kairan {ADDRESS} wrote:\n{QUOTE}\n\n第3項に意見があります。",
         "Hi,\n\n第3項に意見があります。"),
        # Between quoted passages
        ("> 1. 資料A\n資料Aは了承します。\n> 2. 資料B\n資料Bは修正が必要です。\n> 以上",
         "資料Aは了承します。\n\n資料Bは修正が必要です。"),
        # Attribution lines wrapped by the client: inside the address, before "wrote:",
        # over three lines, and Japanese Gmail's, Thunderbird's and Becky!'s
        (f"意見です\n\n{EN_HEAD} Kairan <\nkairan@x.jp> wrote:\n{QUOTE}", "意見です"),
        (f"意見です\n\n{EN_HEAD} Kairan {ADDRESS}\nwrote:\n{QUOTE}", "意見です"),
        (f"意見です\n\n{EN_HEAD}\n審議会事務局\n{ADDRESS} wrote:\n{QUOTE}", "意見です"),
        (f"意見です\n\n2026年9月1日(火) 9:00 審議会事務局 <\nkairan@x.jp>:\n\n{QUOTE}",
         "意見です"),
        (f"意見です\n\n2026/09/01 9:00 に 審議会事務局\nさんは書きました:\n{QUOTE}", "意見です"),
        (f"意見です\n\nOn Tue, 01 Sep 2026 09:00:00 +0900\n事務局 {ADDRESS} wrote:\n{QUOTE}",
         "意見です"),
        # Japanese signatures: ━ box with 携帯, ─ rule with TEL/FAX/URL, = rule, no rule
        ("意見なし\n\n━━━━━━━━━━━━\n田中 一郎\n携帯：090-1234-5678\n━━━━━━━━━━━━", "意見なし"),
        (f"{FIX}\n──────────\n田中 一郎\nTEL 03-1234-5678 / FAX 03-1234-5679\n"
         "https://example.ac.jp/", FIX),
        ("意見なし\n==========\n○○大学 田中\n〒100-0001 東京都千代田区千代田1-1\n==========",
         "意見なし"),
        (f"{FIX}\n\n田中 一郎\n○○大学 法学部\n電話：03-1234-5678\nE-mail: tanaka@example.jp",
         FIX),
        (f"{FIX}\n\n田中 一郎\n携帯 090-1234-5678", FIX),
        # Western sign-offs
        ("No comments.\n\nThanks,\n-Taro", "No comments.\n\nThanks,"),
        (f"{FIX}\n--\nTaro Tanaka\ntanaka@example.jp", FIX),
        (f"{FIX}\n-- \n田中", FIX),
        # What looks like a signature but is what the member said stays
        ("詳しくは次のページをご覧ください。\nhttps://example.jp/page",
         "詳しくは次のページをご覧ください。\nhttps://example.jp/page"),
        ("9月10日までに:\n・第3項を修正", "9月10日までに:\n・第3項を修正"),
        ("Two points:\n- Section 3 is unclear\n- Table 2 is old",
         "Two points:\n- Section 3 is unclear\n- Table 2 is old"),
        ("会議は14:00からでよいと思います。", "会議は14:00からでよいと思います。"),
    ],
)  # fmt: skip
def test_the_members_own_text_is_kept_and_the_rest_goes(text, kept):
    assert strip_quotes(text) == kept


@pytest.mark.parametrize(
    "text",
    ["意見はありません", "議事録(案)について、意見はありません。", "特に意見はございません。",
     "異議ありません", "了承しました。", "本件につきましては、特段の意見はございません。",
     "特にありません", "原案のとおりで異存ありません。", "意見なしです",
     "事務局 御中\nいつも大変お世話になっております。\n標記の件、意見はございません。\n"
     "よろしくお願い申し上げます。\n田中",
     "資料を拝見しました。質問・意見はありません。", "No comments.\n\nThanks,"],
)  # fmt: skip
def test_no_opinion_is_recognised_in_the_sentences_members_write(text):
    assert interpret(text).kind == "no_opinion"


@pytest.mark.parametrize(
    "text",
    ["問題ないと思います。", "承知しました。", "内容を確認しました。", "大丈夫です", "了解です",
     "原案に賛成です。", "お世話になっております。\nよろしくお願いします。"],
)  # fmt: skip
def test_uncertain_cases_are_held_not_recorded(text):
    assert interpret(text).kind == "unclear"


@pytest.mark.parametrize(
    "text",
    ["意見はありません。ただ、第3項の書き方は気になりました。",
     "異議ありません。なお、次回は資料を早めに送ってください。",
     "なし崩しにすべきではない", "意見なし\n\n第5項は削除が望ましい。"],
)  # fmt: skip
def test_a_no_opinion_phrase_with_substance_is_an_opinion(text):
    reading = interpret(text)
    assert (reading.kind, reading.opinion) == ("opinion", text)


@pytest.mark.parametrize(
    ("text", "question"),
    [("質問です。\n資料2の表は最新ですか。", "資料2の表は最新ですか。"),
     ("【質問】資料2の表は最新ですか", "資料2の表は最新ですか"),
     ("Question: is table 2 up to date?", "is table 2 up to date?"),
     ("事務局御中\nお世話になっております。\n質問：資料2は何の資料ですか。",
      "資料2は何の資料ですか。")],
)  # fmt: skip
def test_a_mail_that_starts_with_shitsumon_is_a_question(text, question):
    reading = interpret(text)
    assert (reading.kind, reading.opinion) == ("question", question)


def test_no_questions_is_not_a_question():
    assert interpret("質問はありません。").kind == "no_opinion"
    assert interpret("No questions.").kind == "no_opinion"
    assert interpret("第3項に質問があります。").kind == "opinion"  # not the first word


def raw_reply(token: str, text: str, n: int = 1) -> bytes:
    return (
        f"From: tanaka@example.jp\nTo: reply+{token}@reply.localhost\nSubject: Re\n"
        f"Message-ID: <reading-{n}@example.jp>\nContent-Type: text/plain; charset=utf-8\n\n{text}\n"
    ).encode()


def test_a_question_by_mail_goes_to_the_secretariat_and_is_answered_to_everyone(
    tanaka, token, council, when
):
    from circulation.services.questions import answer_question

    with time_machine.travel(when["during"], tick=False):
        message = receive_via_mta(raw_reply(token, "質問です。\n資料2の表は最新ですか。"))
        assert (message.state, message.reply) == (InboundMessage.State.ASKED, None)
        question = Question.objects.get()
        assert (question.asked_by, question.text) == (tanaka.user, "資料2の表は最新ですか。")
        assert message.question == question
        assert not tanaka.replies.exists()
        told = OutboxMessage.objects.filter(purpose="circulation.question")
        assert council.secretariat.email in set(told.values_list("to_email", flat=True))
        receipt = OutboxMessage.objects.get(purpose="circulation.mail_question_receipt")
        assert receipt.to_email == "tanaka@example.jp"
        assert "> 資料2の表は最新ですか。" in receipt.body_text
        answer_question(question.pk, by=council.secretariat, text="最新です。")
    answers = OutboxMessage.objects.filter(purpose="circulation.answer")
    assert answers.count() == tanaka.circulation.recipients.count()  # every recipient


def test_an_uncertain_mail_is_held_and_the_member_asked_to_answer_clearly(tanaka, token, when):
    with time_machine.travel(when["during"], tick=False):
        message = receive_via_mta(raw_reply(token, "問題ないと思います。"))
    assert (message.state, message.reason) == (InboundMessage.State.HELD, "unclear")
    assert not tanaka.replies.exists()
    told = OutboxMessage.objects.get(purpose="circulation.mail_reply_held")
    assert "はっきり読み取れなかった" in told.body_text and "/c/l/" in told.body_text


def test_a_long_reply_is_recorded_whole_and_its_receipt_quotes_a_page(tanaka, token, when):
    long_text = "\n".join(
        f"{i}行目の意見です。第{i}項の表現を修正してください。" for i in range(1, 2001)
    )
    with time_machine.travel(when["during"], tick=False):
        message = receive_via_mta(raw_reply(token, long_text))
    assert message.reply.opinion == long_text  # all of it is recorded
    receipt = OutboxMessage.objects.get(purpose="circulation.reply_receipt")
    assert "> 1行目の意見です。" in receipt.body_text
    assert "2000行目" not in receipt.body_text
    assert "(以下省略)" in receipt.body_text and "(以下省略)" in receipt.body_html
    assert len(receipt.body_text) < 5000  # one page, not 600 KB
    assert "全文は次のリンクからご覧いただけます" in receipt.body_text
