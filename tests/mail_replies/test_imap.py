"""The IMAP path (`manage.py poll_imap`): a fake mailbox stands in for the server by replacing
the imaplib.IMAP4 / IMAP4_SSL classes the poller instantiates; everything after the fetch is
the real code. A message is marked seen (or moved) only once it is stored."""

from __future__ import annotations

import imaplib
import io

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError

from circulation.models import InboundMessage
from tests.mail_replies.conftest import load

pytestmark = pytest.mark.django_db


class FakeMailbox:
    """What the server holds: folder → {uid: [raw bytes, flags]}."""

    def __init__(self) -> None:
        self.folders: dict[str, dict[int, list]] = {"INBOX": {}, "Kairan/Done": {}}
        self.next_uid = 1
        self.capabilities: tuple[str, ...] = ("IMAP4REV1", "UIDPLUS")
        self.logins: list[tuple[str, str]] = []
        self.connections: list[tuple[str, str, int]] = []

    def deliver(self, raw: bytes, folder: str = "INBOX") -> int:
        uid = self.next_uid
        self.next_uid += 1
        self.folders[folder][uid] = [raw, set()]
        return uid


def fake_imap_class(mailbox: FakeMailbox, kind: str) -> type:
    class FakeIMAP4:
        error = imaplib.IMAP4.error

        def __init__(self, host: str, port: int) -> None:
            mailbox.connections.append((kind, host, port))
            self.capabilities = mailbox.capabilities
            self.selected = ""

        def login(self, user, password):
            mailbox.logins.append((user, password))
            return "OK", [b"LOGIN completed"]

        def select(self, folder):
            self.selected = folder.strip('"')
            return "OK", [str(len(mailbox.folders[self.selected])).encode()]

        def uid(self, command, *args):
            box = mailbox.folders[self.selected]
            command = command.upper()
            if command == "SEARCH":
                unseen = [str(u).encode() for u, (_, f) in box.items() if "\\Seen" not in f]
                return "OK", [b" ".join(unseen)]
            uid = int(args[0])
            if command == "FETCH":
                assert "PEEK" in args[1]  # fetching must not mark the message seen
                raw = box[uid][0]
                return "OK", [(f"{uid} (UID {uid} BODY[] {{{len(raw)}}}".encode(), raw), b")"]
            if command == "STORE":
                flags = args[2].strip("()").split()
                box[uid][1].update(flags)
                return "OK", [b""]
            if command in ("COPY", "MOVE"):
                mailbox.folders[args[1].strip('"')][uid] = [box[uid][0], set()]
                if command == "MOVE":
                    del box[uid]
                return "OK", [b""]
            raise AssertionError(command)

        def expunge(self):
            box = mailbox.folders[self.selected]
            for uid in [u for u, (_, f) in box.items() if "\\Deleted" in f]:
                del box[uid]
            return "OK", [b""]

        def logout(self):
            return "BYE", [b""]

    return FakeIMAP4


@pytest.fixture
def mailbox(settings, monkeypatch) -> FakeMailbox:
    settings.KAIRAN_IMAP_HOST = "imap.reply.example"
    settings.KAIRAN_IMAP_PORT = 993
    settings.KAIRAN_IMAP_SSL = True
    settings.KAIRAN_IMAP_USER = "reply"
    settings.KAIRAN_IMAP_PASSWORD = "s3cret"
    settings.KAIRAN_IMAP_FOLDER = "INBOX"
    settings.KAIRAN_IMAP_DONE_FOLDER = ""
    box = FakeMailbox()
    monkeypatch.setattr(imaplib, "IMAP4_SSL", fake_imap_class(box, "ssl"))
    monkeypatch.setattr(imaplib, "IMAP4", fake_imap_class(box, "plain"))
    return box


def poll() -> str:
    out = io.StringIO()
    call_command("poll_imap", stdout=out)
    return out.getvalue()


def test_polling_stores_each_new_message_and_then_marks_it_seen(
    mailbox, tanaka, token, notice, when
):
    first = mailbox.deliver(load("sjis_outlook_sashidashinin.eml", token=token))
    second = mailbox.deliver(load("auto_reply_outlook.eml", token=token))
    with time_machine.travel(when["during"], tick=False):
        assert "stored 2 message(s), 0 left unseen" in poll()
    assert mailbox.connections == [("ssl", "imap.reply.example", 993)]
    assert mailbox.logins == [("reply", "s3cret")]
    stored = InboundMessage.objects.order_by("id")
    assert list(stored.values_list("source", "state")) == [
        ("imap", "recorded"), ("imap", "ignored"),  # the auto-reply is stored, not recorded
    ]  # fmt: skip
    assert tanaka.replies.get().kind == "no_opinion"
    inbox = mailbox.folders["INBOX"]
    assert "\\Seen" in inbox[first][1] and "\\Seen" in inbox[second][1]
    # The next poll finds nothing new and records nothing twice.
    with time_machine.travel(when["during"], tick=False):
        assert "stored 0 message(s)" in poll()
    assert InboundMessage.objects.count() == 2


def test_stored_messages_are_moved_when_a_done_folder_is_set(
    mailbox, settings, tanaka, token, when
):
    settings.KAIRAN_IMAP_DONE_FOLDER = "Kairan/Done"
    mailbox.deliver(load("iphone_ja.eml", token=token))
    with time_machine.travel(when["during"], tick=False):
        poll()
    assert mailbox.folders["INBOX"] == {}  # COPY, \Deleted, EXPUNGE (no MOVE capability)
    assert len(mailbox.folders["Kairan/Done"]) == 1
    mailbox.capabilities = ("IMAP4REV1", "MOVE")
    mailbox.deliver(load("gmail_ja_date_header.eml", token=token))
    with time_machine.travel(when["during"], tick=False):
        poll()
    assert mailbox.folders["INBOX"] == {}
    assert len(mailbox.folders["Kairan/Done"]) == 2
    assert tanaka.replies.count() == 2


def test_a_message_that_cannot_be_stored_stays_unseen_for_the_next_poll(
    mailbox, tanaka, token, when
):
    uid = mailbox.deliver(load("iphone_ja.eml", token=token))

    def unreachable(*args, **kwargs):
        raise OperationalError("the database is down")

    with time_machine.travel(when["during"], tick=False), pytest.MonkeyPatch.context() as patch:
        patch.setattr(InboundMessage.objects, "create", unreachable)
        with pytest.raises(CommandError) as failed:
            poll()
    assert failed.value.returncode == 75
    assert "\\Seen" not in mailbox.folders["INBOX"][uid][1]
    # The database is back: the next poll stores it.
    with time_machine.travel(when["during"], tick=False):
        assert "stored 1 message(s)" in poll()
    assert "\\Seen" in mailbox.folders["INBOX"][uid][1]
    assert tanaka.replies.count() == 1


def test_polling_without_a_configured_mailbox_says_so(settings, db):
    settings.KAIRAN_IMAP_HOST = ""
    with pytest.raises(CommandError, match="KAIRAN_IMAP_HOST"):
        poll()


def test_a_plain_imap_connection_when_ssl_is_off(mailbox, settings):
    settings.KAIRAN_IMAP_SSL = False
    settings.KAIRAN_IMAP_PORT = 143
    poll()
    assert mailbox.connections == [("plain", "imap.reply.example", 143)]
