"""The demo's mail reader: a newcomer reads the mail the portal sent (invitations, login
codes, notices) in the browser, safely, and nothing else on the machine can be read."""

from __future__ import annotations

import datetime as dt
import os
import time
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formatdate

import pytest
import time_machine
from django.core.mail import EmailMultiAlternatives

from portal.demo_mail import mail_file

pytestmark = [pytest.mark.urls("tests.ops.demo_urlconf")]

NOTICE_HTML = (
    "<p>資料をご確認ください。</p>"
    '<script>document.title="pwned"</script>'
    '<img src="https://tracker.example.com/pixel.gif" alt="">'
)


@pytest.fixture
def demo_mail(settings):
    """The demo as `make demo` runs it: mail becomes .eml files in KAIRAN_MAIL_DIR."""
    settings.DEMO = True
    settings.EMAIL_BACKEND = "portal.mail_backends.EmlFileBackend"
    settings.KAIRAN_MAIL_DIR.mkdir(parents=True, exist_ok=True)
    return settings.KAIRAN_MAIL_DIR


def send(subject: str, to: str, text: str, html: str = "") -> None:
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to])
    if html:
        message.attach_alternative(html, "text/html")
    message.send()
    time.sleep(0.02)  # distinct modification times: the list is newest first


def only_file(folder):
    (path,) = [path for path in folder.iterdir() if path.suffix == ".eml"]
    return path


def test_the_list_shows_newest_first_with_decoded_japanese_subjects(client, demo_mail):
    send("【回覧】第3回 管理運用会議の議事録", "reidai.ichiro@example.jp", "本文")
    send("ログインコード", "kakuu.sakura@example.jp", "コード: 123456")
    send("招待状: 住民基本台帳ネットワークシステム管理運用審議会", "shikou.saburo@example.jp", "…")

    raw = next(demo_mail.iterdir()).read_bytes()
    assert b"=?utf-8?" in raw  # the subject really is MIME-encoded on disk

    body = client.get("/demo/mail/").content.decode()
    assert '<html lang="ja">' in body
    positions = [
        body.index("招待状: 住民基本台帳ネットワークシステム管理運用審議会"),
        body.index("ログインコード"),
        body.index("【回覧】第3回 管理運用会議の議事録"),
    ]
    assert positions == sorted(positions)
    assert "kakuu.sakura@example.jp" in body


@time_machine.travel(dt.datetime(2026, 9, 10, 8, 0, tzinfo=dt.UTC), tick=False)
def test_the_date_is_shown_in_japan_time_with_the_weekday(client, demo_mail):
    send("督促", "kakuu.sakura@example.jp", "回答期限が近づいています。")

    body = client.get("/demo/mail/").content.decode()

    assert "2026年9月10日(木) 17:00" in body


def test_an_empty_mail_folder_says_so(client, demo_mail):
    response = client.get("/demo/mail/")

    assert response.status_code == 200
    assert "まだメールは送信されていません。" in response.content.decode()


def test_half_written_and_foreign_files_are_not_listed(client, demo_mail):
    send("本物のメール", "kakuu.sakura@example.jp", "本文")
    half = Header("書きかけのメール", "utf-8").encode()
    (demo_mail / ".20260901-100000-000000-deadbeef.eml.tmp").write_text(f"Subject: {half}\r\n")
    (demo_mail / "notes.txt").write_text("Subject: メモ\r\n")

    body = client.get("/demo/mail/").content.decode()

    assert "本物のメール" in body
    assert "書きかけのメール" not in body
    assert "メモ" not in body


def test_one_message_shows_headers_text_with_links_and_html_in_a_sandbox(client, demo_mail):
    send(
        "【回覧】議事録のご確認",
        "reidai.ichiro@example.jp",
        "次のページからご回答ください。\nhttp://127.0.0.1:8000/c/1/\n",
        html=NOTICE_HTML,
    )
    name = only_file(demo_mail).name

    page = client.get(f"/demo/mail/{name}/")
    body = page.content.decode()

    assert page.status_code == 200
    assert "<h1>【回覧】議事録のご確認</h1>" in body
    assert "<dt>To</dt><dd>reidai.ichiro@example.jp</dd>" in body
    assert '<a href="http://127.0.0.1:8000/c/1/"' in body  # the text part's link works
    assert f'<iframe class="mail-frame" sandbox src="/demo/mail/{name}/html/"' in body
    # The mail's HTML is in the page only as escaped source, never as markup.
    assert "<script>" not in body
    assert "&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;" in body
    assert 'src="https://tracker.example.com' not in body


def test_the_html_part_is_served_alone_under_a_strict_policy(client, demo_mail):
    send("通知", "reidai.ichiro@example.jp", "本文", html=NOTICE_HTML)
    name = only_file(demo_mail).name

    response = client.get(f"/demo/mail/{name}/html/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response.content.decode() == NOTICE_HTML
    policy = {
        part.strip().split(" ")[0]: part.strip()
        for part in response["Content-Security-Policy"].split(";")
    }
    assert policy["default-src"] == "default-src 'none'"  # no scripts, no other hosts
    assert "sandbox" in policy  # sandboxed even when opened outside the iframe
    assert policy["frame-ancestors"] == "frame-ancestors 'self'"
    assert response["X-Frame-Options"] == "SAMEORIGIN"  # framed by our page only
    assert response["Referrer-Policy"] == "no-referrer"


def test_a_text_only_message_has_no_html_page(client, demo_mail):
    send("テキストのみ", "kakuu.sakura@example.jp", "本文だけです。")
    name = only_file(demo_mail).name

    assert "HTMLの本文はありません。" in client.get(f"/demo/mail/{name}/").content.decode()
    assert client.get(f"/demo/mail/{name}/html/").status_code == 404


def test_mail_in_iso_2022_jp_from_elsewhere_is_decoded(client, demo_mail):
    message = MIMEText("会議の日程について\r\n", "plain", "iso-2022-jp")
    message["Subject"] = Header("会議結果", "iso-2022-jp")
    message["To"] = "mihon.hanako@city.example.jp"
    message["Date"] = formatdate(1788998400)  # 2026-09-10 00:00 UTC
    (demo_mail / "20260910-000000-000000-abcdef01.eml").write_bytes(message.as_bytes())

    listing = client.get("/demo/mail/").content.decode()
    detail = client.get("/demo/mail/20260910-000000-000000-abcdef01.eml/").content.decode()

    assert "会議結果" in listing
    assert "2026年9月10日(木) 09:00" in listing
    assert "会議の日程について" in detail


@pytest.mark.parametrize(
    "name",
    [
        "..",
        "...eml",
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e%2fsecret.eml",
        "..%5Csecret.eml",
        ".20260901-100000-000000-deadbeef.eml.tmp",
        "notes.txt",
        "missing.eml",
        "secret.eml%00",
    ],
)
def test_names_outside_the_mail_folder_are_not_found(client, demo_mail, name):
    (demo_mail.parent / "secret.eml").write_text("Subject: secret\r\n\r\nsecret")
    (demo_mail / ".20260901-100000-000000-deadbeef.eml.tmp").write_text("Subject: tmp\r\n")
    (demo_mail / "notes.txt").write_text("Subject: notes\r\n")

    assert client.get(f"/demo/mail/{name}/").status_code == 404
    assert client.get(f"/demo/mail/{name}/html/").status_code == 404


def test_a_link_in_the_mail_folder_to_a_file_elsewhere_is_not_followed(client, demo_mail):
    secret = demo_mail.parent / "secret.eml"
    secret.write_text("Subject: TOP-SECRET\r\nContent-Type: text/html\r\n\r\n<p>TOP-SECRET</p>")
    os.symlink(secret, demo_mail / "link.eml")

    assert mail_file("link.eml") is None
    assert client.get("/demo/mail/link.eml/").status_code == 404
    assert client.get("/demo/mail/link.eml/html/").status_code == 404
    assert "TOP-SECRET" not in client.get("/demo/mail/").content.decode()


def test_the_reader_answers_nothing_outside_the_demo(client, demo_mail, settings):
    send("通知", "reidai.ichiro@example.jp", "本文", html="<p>本文</p>")
    name = only_file(demo_mail).name
    settings.DEMO = False
    settings.DEBUG = False

    assert client.get("/demo/mail/").status_code == 404
    assert client.get(f"/demo/mail/{name}/").status_code == 404
    assert client.get(f"/demo/mail/{name}/html/").status_code == 404
