"""The real MTA path: an SMTP server (aiosmtpd, standing in for Postfix) pipes each message
into `manage.py receive_mail` as a subprocess, exactly like a pipe transport, and maps its
exit code to the SMTP answer (0 → 250, 75 → 451 so the sender retries)."""

from __future__ import annotations

import os
import smtplib
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

from circulation.models import InboundMessage, OutboxMessage
from tests.mail_replies.conftest import load

pytestmark = pytest.mark.slow
MANAGE = Path(settings.BASE_DIR) / "manage.py"


class PipeToReceiveMail:
    """The pipe transport: `receive_mail --sender ${sender} --recipient ${original_recipient}`."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.results: list[subprocess.CompletedProcess] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        for rcpt in envelope.rcpt_tos:
            result = subprocess.run(
                [sys.executable, str(MANAGE), "receive_mail",
                 "--sender", envelope.mail_from, "--recipient", rcpt],
                input=envelope.original_content, env=self.env, capture_output=True, timeout=60,
            )  # fmt: skip
            self.results.append(result)
            if result.returncode == 75:
                return "451 4.3.0 Temporary failure, try again later"
            if result.returncode != 0:
                return "554 5.3.0 Rejected"
        return "250 2.0.0 Stored"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_smtp(env: dict[str, str]):
    handler = PipeToReceiveMail(env)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    return handler, controller


def subprocess_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAIRAN_TESTING": "1",
        "KAIRAN_VAR_DIR": str(tmp_path / "var"),
        "KAIRAN_MEDIA_ROOT": str(tmp_path / "media"),
        "KAIRAN_CELERY_EAGER": "1",  # the receipt is delivered at once, into var/mail/
        "REDIS_URL": "",
    }


def send(port: int, raw: bytes, to: str) -> None:
    on_the_wire = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")  # SMTP lines end CRLF
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        smtp.sendmail("tanaka@example.jp", [to], on_the_wire)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_reply_sent_by_smtp_and_piped_to_receive_mail_is_recorded(
    tmp_path, tanaka, token, notice, when
):
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    handler, controller = run_smtp(subprocess_env(tmp_path, url))
    try:
        raw = load("outlook_iso2022jp_original_message.eml", token=token, notice=notice)
        send(controller.port, raw, f"reply+{token}@reply.localhost")
    finally:
        controller.stop()
    assert handler.results[0].returncode == 0, handler.results[0].stderr.decode()
    message = InboundMessage.objects.get()
    assert (message.source, message.state) == ("mta", InboundMessage.State.RECORDED)
    assert message.envelope_recipient == f"reply+{token}@reply.localhost"
    assert "資料①の3ページ目" in tanaka.replies.get().opinion
    receipt = OutboxMessage.objects.get(purpose="circulation.reply_receipt")
    assert receipt.state == OutboxMessage.State.SENT
    delivered = list((tmp_path / "var" / "mail").glob("*.eml"))
    assert len(delivered) == 1  # the receipt, delivered by the subprocess


def test_when_the_database_is_down_the_smtp_sender_is_told_to_retry(tmp_path):
    """No database at all (a closed port): exit 75 → 451, the message stays with the MTA."""
    env = subprocess_env(tmp_path, "postgres://postgres@127.0.0.1:9/kairan_unreachable")
    handler, controller = run_smtp(env)
    try:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(controller.port, load("iphone_ja.eml"), "reply+x@reply.localhost")
    finally:
        controller.stop()
    assert refused.value.smtp_code == 451
    assert handler.results[0].returncode == 75
    assert b"could not store the message" in handler.results[0].stderr
