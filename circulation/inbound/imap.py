"""Polling an IMAP mailbox (KAIRAN_IMAP_*): each unseen message is fetched without marking
it seen (BODY.PEEK), stored, and only then marked \\Seen or moved to KAIRAN_IMAP_DONE_FOLDER.
A message that could not be stored stays unseen and is fetched again by the next poll."""

from __future__ import annotations

import imaplib
import logging
from dataclasses import dataclass, field

from django.conf import settings

from circulation.inbound.service import receive_raw_message

log = logging.getLogger(__name__)


class ImapError(Exception):
    """The mailbox could not be reached or answered with an error."""


@dataclass
class PollResult:
    stored: list[int] = field(default_factory=list)  # InboundMessage ids
    failed: int = 0  # left unseen for the next poll


def connect() -> imaplib.IMAP4:
    host, port = settings.KAIRAN_IMAP_HOST, settings.KAIRAN_IMAP_PORT
    if not host:
        raise ImapError("KAIRAN_IMAP_HOST is not set")
    # Looked up on the module at call time (tests replace imaplib.IMAP4 / IMAP4_SSL).
    factory = imaplib.IMAP4_SSL if settings.KAIRAN_IMAP_SSL else imaplib.IMAP4
    client = factory(host, port)
    _ok(client.login(settings.KAIRAN_IMAP_USER, settings.KAIRAN_IMAP_PASSWORD), "LOGIN")
    return client


def poll_once() -> PollResult:
    client = connect()
    try:
        _ok(client.select(_quoted(settings.KAIRAN_IMAP_FOLDER)), "SELECT")
        return _fetch_unseen(client)
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            log.warning("imap: logout failed", exc_info=True)


def _fetch_unseen(client: imaplib.IMAP4) -> PollResult:
    result = PollResult()
    data = _ok(client.uid("SEARCH", None, "UNSEEN"), "SEARCH")
    uids = (data[0] or b"").split() if data else []
    done = settings.KAIRAN_IMAP_DONE_FOLDER
    moved_any = False
    for uid in uids:
        raw = _fetch(client, uid)
        if raw is None:
            result.failed += 1
            continue
        try:
            message = receive_raw_message(raw, source="imap")
        except Exception:  # not stored: leave it unseen, the next poll tries again
            log.exception("imap: could not store message uid %s", uid)
            result.failed += 1
            break  # the database is probably down; do not spin through the rest
        result.stored.append(message.pk)
        moved_any |= _mark_done(client, uid, done)
    if moved_any and not _has_capability(client, "MOVE"):
        client.expunge()
    return result


def _fetch(client: imaplib.IMAP4, uid: bytes) -> bytes | None:
    try:
        data = _ok(client.uid("FETCH", uid, "(BODY.PEEK[])"), "FETCH")
    except ImapError:
        log.warning("imap: could not fetch uid %s", uid, exc_info=True)
        return None
    for item in data or []:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _mark_done(client: imaplib.IMAP4, uid: bytes, done_folder: str) -> bool:
    """Seen, and moved when a done folder is set. Returns whether an EXPUNGE is needed."""
    if not done_folder:
        _ok(client.uid("STORE", uid, "+FLAGS", "(\\Seen)"), "STORE")
        return False
    if _has_capability(client, "MOVE"):
        _ok(client.uid("MOVE", uid, _quoted(done_folder)), "MOVE")
        return False
    _ok(client.uid("COPY", uid, _quoted(done_folder)), "COPY")
    _ok(client.uid("STORE", uid, "+FLAGS", "(\\Seen \\Deleted)"), "STORE")
    return True


def _has_capability(client: imaplib.IMAP4, name: str) -> bool:
    return name in getattr(client, "capabilities", ())


def _quoted(folder: str) -> str:
    return folder if folder.isalnum() else '"' + folder.replace('"', '\\"') + '"'


def _ok(response: tuple[str, list], what: str) -> list:
    status, data = response
    if status != "OK":
        raise ImapError(f"{what} answered {status}: {data!r}")
    return data
