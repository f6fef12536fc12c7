"""Mail replies: a circulation sent to the council, the notice 田中 委員 received (with its
personal Reply-To address), and helpers that feed the MIME files under messages/ through
the same entry point as the MTA (`manage.py receive_mail` reading standard input)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from circulation.mail.message_ids import thread_id
from circulation.mail.tokens import token_in_address
from circulation.models import Circulation, InboundMessage, OutboxMessage, Recipient
from tests.circulation.helpers import sent_circulation

MESSAGES = Path(__file__).parent / "messages"


def moments() -> dict[str, dt.datetime]:
    """Sent yesterday morning (Japan time), deadline in a week at 17:00."""
    jst = dt.timezone(dt.timedelta(hours=9))
    today = timezone.localdate()
    sent = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(9, 0), tzinfo=jst)
    deadline = dt.datetime.combine(today + dt.timedelta(days=7), dt.time(17, 0), tzinfo=jst)
    return {
        "sent": sent,
        "deadline": deadline,
        "during": sent + dt.timedelta(days=1, hours=1),
        "after": deadline + dt.timedelta(hours=16),
    }


@pytest.fixture
def when() -> dict[str, dt.datetime]:
    return moments()


@pytest.fixture
def during(when):
    """The whole test happens during the reply period."""
    with time_machine.travel(when["during"], tick=False):
        yield


@pytest.fixture
def circulation(council, when) -> Circulation:
    with time_machine.travel(when["sent"], tick=False):
        return sent_circulation(council, deadline=when["deadline"])


@pytest.fixture
def tanaka(circulation, council) -> Recipient:
    return circulation.recipients.get(user=council.members[0])


@pytest.fixture
def notice(tanaka) -> OutboxMessage:
    return OutboxMessage.objects.get(
        purpose="circulation.notice", circulation=tanaka.circulation, to_email="tanaka@example.jp"
    )


@pytest.fixture
def token(notice) -> str:
    """The token in the Reply-To address of 田中's notice: what a reply is sent to."""
    found = token_in_address(notice.reply_to)
    assert found
    return found


def load(
    name: str,
    *,
    token: str = "",
    notice: OutboxMessage | None = None,
    circulation: Circulation | None = None,
) -> bytes:
    """A fixture message with its placeholders replaced by the real values of this test's
    circulation: reply+TOKEN@ by the personal address, <outbox-NOTICE@localhost> by the
    notice's Message-ID and <circulation-CIRC@localhost> by the circulation's thread id,
    as a mail program answering the real notice writes them."""
    raw = (MESSAGES / name).read_bytes()
    if token:
        raw = raw.replace(b"reply+TOKEN@", f"reply+{token}@".encode())
    if notice is not None:
        raw = raw.replace(b"<outbox-NOTICE@localhost>", notice.message_id.encode())
    if circulation is not None:
        raw = raw.replace(b"<circulation-CIRC@localhost>", thread_id(circulation.pk).encode())
    return raw


def receive_via_mta(raw: bytes, *args: str) -> InboundMessage:
    """`manage.py receive_mail` with the message on standard input, as Postfix pipes it."""
    out = io.StringIO()
    call_command("receive_mail", *args, stdin=io.BytesIO(raw), stdout=out)
    assert out.getvalue().startswith("stored #")
    return InboundMessage.objects.order_by("-id").first()


@pytest.fixture
def feed(token, notice, circulation, when):
    """feed("file.eml") delivers the fixture through the MTA entry point, during the reply
    period unless `at` says otherwise."""

    def _feed(name: str, *args: str, at: dt.datetime | None = None) -> InboundMessage:
        raw = load(name, token=token, notice=notice, circulation=circulation)
        with time_machine.travel(at or when["during"], tick=False):
            return receive_via_mta(raw, *args)

    return _feed
