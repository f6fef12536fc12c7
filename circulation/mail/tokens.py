"""Signed, expiring tokens for the one-click links and the personal reply address.

A token is 25 bytes written as 40 lowercase base32 characters (a-z, 2-7), so it survives
MTAs that lowercase the local part of `reply+<token>@<reply domain>` and fits easily in it:

    purpose (1) | recipient id (4) | reply version (2) | issued at, Unix seconds (4) | MAC (14)

The MAC is HMAC-SHA256 (django.utils.crypto.salted_hmac with SECRET_KEY, or one of
SECRET_KEY_FALLBACKS when checking) over the payload *and the recipient's circulation id*: a
token is bound to one recipient of one circulation without carrying the circulation id.

A token stops working
- after the circulation's deadline (checked against the current deadline, so an extension
  extends the links too) or once it is no longer open, and in any case after
  KAIRAN_TOKEN_MAX_AGE_DAYS;
- when the secretariat revokes the recipient's tokens: every token issued at or before
  Recipient.token_revoked_at is dead; mail sent later carries new, working tokens;
- once the recipient's term on the committee has ended (portal.permissions.still_sits): they
  still read what was sent to them, after logging in, but no longer reply;
- for "no opinion" links: once the recipient's reply has changed since the token was issued
  (the token carries the reply version, and the reply is recorded with that version as its
  base, so a replayed link can never record twice or overwrite a newer reply).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import struct
from dataclasses import dataclass
from enum import IntEnum

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from circulation.models import Recipient
from portal import audit
from portal.models import AuditEntry, User
from portal.permissions import still_sits

_SALT = "kairan.circulation.tokens.v1"
_PAYLOAD = struct.Struct(">BIHI")
_MAC_BYTES = 14
TOKEN_LENGTH = 40  # (11 + 14) bytes * 8 / 5
_TOKEN_RE = re.compile(r"^[a-z2-7]{40}$")


class Purpose(IntEnum):
    NO_OPINION = 1  # the 「意見なし」 link
    REPLY = 2  # the 「回答する」 link
    ADDRESS = 3  # the personal Reply-To address
    VOTE = 4  # a consultation's vote links: the item and the vote are in the query


@dataclass(frozen=True)
class TokenData:
    purpose: Purpose
    recipient_id: int
    version: int
    issued_at: dt.datetime


class TokenRefused(Exception):
    """Why a token does not work; `reason` is one of REASONS, `recipient` is known unless
    the token is invalid (forged, mistyped, or for an unknown recipient)."""

    REASONS = ("invalid", "expired", "revoked", "used", "term_ended")

    def __init__(self, reason: str, recipient: Recipient | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.recipient = recipient


# --- Making and reading ----------------------------------------------------------------------


def make_token(recipient: Recipient, purpose: Purpose, *, now: dt.datetime | None = None) -> str:
    now = now or timezone.now()
    version = _reply_version(recipient) if purpose == Purpose.NO_OPINION else 0
    payload = _PAYLOAD.pack(int(purpose), recipient.pk, version, int(now.timestamp()))
    raw = payload + _mac(payload, recipient.circulation_id, settings.SECRET_KEY)
    return base64.b32encode(raw).decode("ascii").lower()


def read_token(token: str) -> tuple[TokenData, Recipient]:
    """The token's data and its recipient, if the signature is right; else TokenRefused."""
    token = (token or "").strip().lower()
    if not _TOKEN_RE.match(token):
        raise TokenRefused("invalid")
    try:
        raw = base64.b32decode(token.upper())
    except (binascii.Error, ValueError):
        raise TokenRefused("invalid") from None
    payload, mac = raw[: _PAYLOAD.size], raw[_PAYLOAD.size :]
    purpose_code, recipient_id, version, issued = _PAYLOAD.unpack(payload)
    recipient = (
        Recipient.objects.select_related("circulation__committee", "user", "current_reply")
        .filter(pk=recipient_id)
        .first()
    )
    if recipient is None or purpose_code not in Purpose._value2member_map_:
        raise TokenRefused("invalid")
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if not any(
        constant_time_compare(mac, _mac(payload, recipient.circulation_id, s)) for s in secrets
    ):
        raise TokenRefused("invalid")
    issued_at = dt.datetime.fromtimestamp(issued, tz=dt.UTC)
    return TokenData(Purpose(purpose_code), recipient_id, version, issued_at), recipient


def check_token(
    token: str, *, purposes: tuple[Purpose, ...], now: dt.datetime | None = None
) -> tuple[TokenData, Recipient]:
    """A token that works right now for one of `purposes`; else TokenRefused with the reason."""
    now = now or timezone.now()
    data, recipient = read_token(token)
    if data.purpose not in purposes:
        raise TokenRefused("invalid")
    if is_revoked(recipient, data):
        raise TokenRefused("revoked", recipient)
    too_old = now - data.issued_at > dt.timedelta(days=settings.KAIRAN_TOKEN_MAX_AGE_DAYS)
    if too_old or not recipient.circulation.accepts_replies_at(now):
        raise TokenRefused("expired", recipient)
    if not still_sits(recipient.user, recipient.circulation.committee, timezone.localdate(now)):
        raise TokenRefused("term_ended", recipient)
    if data.purpose == Purpose.NO_OPINION and _reply_version(recipient) != data.version:
        raise TokenRefused("used", recipient)
    return data, recipient


def is_revoked(recipient: Recipient, data: TokenData) -> bool:
    revoked_at = recipient.token_revoked_at
    return revoked_at is not None and data.issued_at <= revoked_at


def _mac(payload: bytes, circulation_id: int, secret: str) -> bytes:
    value = payload + struct.pack(">Q", circulation_id)
    return salted_hmac(_SALT, value, secret, algorithm="sha256").digest()[:_MAC_BYTES]


def _reply_version(recipient: Recipient) -> int:
    return recipient.current_reply.version if recipient.current_reply_id else 0


# --- Addresses and links ---------------------------------------------------------------------


def plain_reply_address() -> str:
    """The reply address without a token (matched by In-Reply-To/References)."""
    return f"{settings.KAIRAN_REPLY_LOCALPART}@{settings.KAIRAN_REPLY_DOMAIN}"


def reply_address(recipient: Recipient, *, now: dt.datetime | None = None) -> str:
    token = make_token(recipient, Purpose.ADDRESS, now=now)
    return f"{settings.KAIRAN_REPLY_LOCALPART}+{token}@{settings.KAIRAN_REPLY_DOMAIN}"


def token_in_address(address: str) -> str | None:
    """The token in `reply+<token>@…` (any case, any domain: the signature decides)."""
    local = (address or "").strip().rsplit("@", 1)[0].lower()
    prefix = settings.KAIRAN_REPLY_LOCALPART.lower() + "+"
    if not local.startswith(prefix):
        return None
    return local[len(prefix) :] or None


def is_reply_address(address: str) -> bool:
    local = (address or "").strip().rsplit("@", 1)[0].lower()
    base = settings.KAIRAN_REPLY_LOCALPART.lower()
    return local == base or local.startswith(base + "+")


def link_url(token: str) -> str:
    return settings.SITE_URL + reverse("reply_link", args=[token])


def reply_links(recipient: Recipient, *, now: dt.datetime | None = None) -> dict[str, str]:
    """What every notice and reminder carries for this recipient: the 「意見なし」 and
    「回答する」 links and the personal Reply-To address."""
    return {
        "no_opinion": link_url(make_token(recipient, Purpose.NO_OPINION, now=now)),
        "reply": link_url(make_token(recipient, Purpose.REPLY, now=now)),
        "reply_to": reply_address(recipient, now=now),
    }


# --- Services: revoking, and logging refused links --------------------------------------------


def revoke_tokens(recipient_id: int, *, by: User, now: dt.datetime | None = None) -> Recipient:
    """Every link and reply address issued so far for this recipient stops working."""
    now = now or timezone.now()
    with transaction.atomic():
        recipient = (
            Recipient.objects.select_for_update(of=("self",))
            .select_related("circulation__committee", "user")
            .get(pk=recipient_id)
        )
        recipient.token_revoked_at = now
        recipient.save(update_fields=["token_revoked_at"])
        audit.record(
            "circulation.token.revoked",
            actor=by,
            obj=recipient,
            committee=recipient.circulation.committee,
            data={"circulation": recipient.circulation_id, "user": recipient.user.email},
        )
    return recipient


def record_refused_link(
    *, reason: str, recipient: Recipient | None, user: User | None, method: str
) -> None:
    """A link that did not work (or was opened by someone else) is logged as refused."""
    audit.record(
        "circulation.link.refused",
        actor=user,
        obj=recipient,
        committee=recipient.circulation.committee if recipient else None,
        result=AuditEntry.Result.REFUSED,
        data={"reason": reason, "method": method},
    )
