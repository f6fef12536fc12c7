"""Every message under messages/ — replies as real mail programs write them (Outlook, Gmail,
iPhone, Android carriers' mail, Thunderbird, Becky!, Windows Live Mail; ISO-2022-JP,
Shift_JIS, EUC-JP, UTF-8; top-, bottom- and interleaved posting; broken MIME) — fed through
the MTA entry point as 田中 委員's reply to the notice, each with what must come of it.
A new fixture without a row here fails the last test."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from circulation.models import InboundMessage, Question
from tests.mail_replies.conftest import MESSAGES

pytestmark = pytest.mark.django_db
S, R = InboundMessage.State, InboundMessage.Reason

# Never in what is recorded: the quoted notice, quote headers, signatures.
NOISE = ("書面照会をお送りします", "wrote", "Original Message", "元のメール", "差出人", "送信日時",
         "のメール:", "書きました", "reply+", "携帯", "TEL", "FAX", "━", "─", "〒", "iPhone",
         "スマートフォンから送信", "-Ichiro", "https://", "E-mail")  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    state: str
    reason: str = ""
    kind: str = ""  # the recorded reply's kind
    meeting: bool | None = None
    says: tuple[str, ...] = ()  # in the opinion (or the question, or the held text)
    not_says: tuple[str, ...] = field(default=())
    late: bool = False  # fed after the deadline


OUTCOMES: dict[str, Outcome] = {
    # Outlook (Windows), top-posting above the unquoted original
    "outlook_iso2022jp_original_message.eml": Outcome(
        S.RECORDED, kind="opinion", meeting=True,
        says=("資料①の3ページ目", "㈱の表記も統一してください。")),
    "sjis_outlook_sashidashinin.eml": Outcome(S.RECORDED, kind="no_opinion"),
    "outlook_attachments.eml": Outcome(
        S.RECORDED, kind="opinion", says=("意見は添付の意見書のとおりです。",)),
    "outlook_sjis_boxed_signature_no_opinion.eml": Outcome(S.RECORDED, kind="no_opinion"),
    "outlook_iso2022jp_opinion_ruled_signature.eml": Outcome(
        S.RECORDED, kind="opinion", meeting=True, says=("出典を明記してください。",),
        not_says=("田中 一郎", "法学部")),
    "outlook_utf8_long_opinion.eml": Outcome(
        S.RECORDED, kind="opinion", says=("1. 議事録1ページ", "80. 議事録80ページ")),
    "auto_reply_outlook.eml": Outcome(S.IGNORED, R.AUTO_REPLY),
    # Gmail
    "gmail_utf8_on_wrote.eml": Outcome(
        S.RECORDED, kind="opinion", meeting=False, says=("監査報告書の記載と議事録の記載",)),
    "gmail_ja_date_header.eml": Outcome(S.RECORDED, kind="no_opinion"),
    "gmail_bottom_posted_greeting_above.eml": Outcome(
        S.RECORDED, kind="opinion", meeting=False,
        says=("お世話になっております。", "発言者名に誤記があります", "修正をお願いします。")),
    "gmail_ja_wrapped_attribution_natural_no_opinion.eml": Outcome(S.RECORDED, kind="no_opinion"),
    "gmail_english_signoff.eml": Outcome(S.RECORDED, kind="no_opinion"),
    "gmail_no_opinion_phrase_with_substance.eml": Outcome(
        S.RECORDED, kind="opinion", says=("意見はありません。ただし、", "要望します。")),
    # iPhone
    "iphone_ja.eml": Outcome(S.RECORDED, kind="no_opinion"),
    "iphone_question.eml": Outcome(S.ASKED, says=("どの年度の監査でしょうか。",),
                                   not_says=("質問です",)),
    # Android carriers' mail
    "android_docomo_sjis_ryoushou.eml": Outcome(S.RECORDED, kind="no_opinion"),
    "android_au_iso2022jp_fullwidth_quotes.eml": Outcome(S.RECORDED, kind="no_opinion"),
    "android_softbank_utf8_uncertain.eml": Outcome(
        S.HELD, R.UNCLEAR, says=("特に問題ないと思います。",)),
    # Thunderbird
    "thunderbird_bottom_posted_flowed.eml": Outcome(
        S.RECORDED, kind="opinion", meeting=False, says=("出席者数が、資料と異なります。",)),
    "thunderbird_interleaved.eml": Outcome(
        S.RECORDED, kind="opinion",
        says=("期限には間に合います。", "4ページの数値が資料2と一致しません。"),
        not_says=("議事録をご確認ください。", "田中 一郎")),
    "thunderbird_eucjp_double_dash.eml": Outcome(
        S.RECORDED, kind="opinion", says=("13時30分だったと記憶しています。",),
        not_says=("--",)),
    # Becky! and Windows Live Mail
    "becky_raw_jis_subject.eml": Outcome(S.RECORDED, kind="no_opinion", meeting=False),
    "becky_sjis_dash_signature.eml": Outcome(
        S.RECORDED, kind="opinion", says=("11月の誤りではないでしょうか。",),
        not_says=("田中 一郎",)),
    "windows_live_mail_iso2022jp.eml": Outcome(S.RECORDED, kind="no_opinion"),
    # HTML only
    "html_only_eucjp.eml": Outcome(
        S.RECORDED, kind="opinion", meeting=True, says=("改善期限を明記してください。",)),
    # Broken MIME: held, never recorded; the raw bytes stay
    "malformed_broken_boundary.eml": Outcome(S.HELD, R.MALFORMED),
    "malformed_truncated_part.eml": Outcome(S.HELD, R.MALFORMED),
    # Not the member's reply, or not now
    "forwarded_wrong_sender.eml": Outcome(S.HELD, R.WRONG_SENDER),
    "forged_token.eml": Outcome(S.UNMATCHED, R.FORGED_TOKEN),
    "plain_address_in_reply_to.eml": Outcome(S.HELD, R.NO_TOKEN),
    "plain_no_reference.eml": Outcome(S.UNMATCHED, R.NO_MATCH),
    "late_after_deadline.eml": Outcome(S.IGNORED, R.LATE, late=True),
    "vacation_subject_only.eml": Outcome(S.IGNORED, R.AUTO_REPLY),
    "bounce_dsn.eml": Outcome(S.IGNORED, R.BOUNCE),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(OUTCOMES))
def test_each_real_client_message_has_its_outcome(feed, tanaka, when, name):
    expected = OUTCOMES[name]
    message = feed(name, at=when["after"] if expected.late else None)
    assert (message.state, message.reason) == (expected.state, expected.reason), message.detail
    assert bytes(message.raw)  # whatever happened, the raw message is kept
    if expected.state == S.RECORDED:
        reply = message.reply
        assert (reply.recipient, reply.channel) == (tanaka, "mail")
        assert (reply.kind, reply.meeting_needed) == (expected.kind, expected.meeting)
        text = reply.opinion
        for noise in NOISE:
            assert noise not in text, noise
    else:
        assert not tanaka.replies.exists()
        text = message.question.text if message.question else message.body_text
    if expected.state == S.ASKED:
        assert Question.objects.get() == message.question
    for words in expected.says:
        assert words in text
    for words in expected.not_says:
        assert words not in text


def test_every_fixture_has_its_outcome_asserted():
    files = {path.name for path in MESSAGES.glob("*.eml")}
    assert files == set(OUTCOMES)
    assert len(files) >= 30
