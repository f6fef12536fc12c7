"""The bytes of one outbox message, as they go to the SMTP server.

Django's EmailMultiAlternatives builds the same message through the email package's
generator, which folds and re-encodes every header through `email.header.Header`: about
2.4 ms of CPU per message here, twice the whole SMTP conversation with a local relay
(docs/performance.md). Our messages have one fixed shape (a text part, an optional HTML part,
a handful of headers we write ourselves), so they are composed directly: about 0.2 ms. The
email package still does the parts that need care: RFC 2047 encoded-words and their folding
(`Header.encode`), addresses (`formataddr`), dates (`formatdate`).

`tests/mail_engine/test_mime.py` parses these bytes back and checks that every header and
part reads the same as what Django builds from the same row (which the locmem and file
backends still use).
"""

from __future__ import annotations

import base64
import re
import secrets
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from functools import lru_cache

from django.conf import settings
from django.core.mail import BadHeaderError
from django.utils.encoding import punycode

# RFC 5322 allows 998 characters per line; encoded-words are folded well below it.
_FOLD_AT = 76


def compose(
    *,
    subject: str,
    body_text: str,
    body_html: str,
    to_email: str,
    reply_to: str,
    headers: dict[str, str],
) -> bytes:
    """A complete message with CRLF line ends: headers in `headers` come after ours and the
    Message-ID among them is used as given."""
    boundary = f"==kairan-{secrets.token_hex(8)}"
    lines = [
        ("Subject", _text(subject, "Subject")),
        ("From", _address(settings.DEFAULT_FROM_EMAIL)),
        ("To", _address(to_email)),
        ("Date", formatdate(localtime=settings.EMAIL_USE_LOCALTIME)),
    ]
    if reply_to:
        lines.append(("Reply-To", _address(reply_to)))
    lines.extend((name, _text(value, name)) for name, value in headers.items())
    lines.append(("MIME-Version", "1.0"))
    if not body_html:
        return _head(lines) + _part("text/plain", body_text)
    lines.append(("Content-Type", f'multipart/alternative;\r\n boundary="{boundary}"'))
    return b"".join(
        [
            _head(lines),
            b"\r\n",
            _boundary(boundary),
            _part("text/plain", body_text),
            _boundary(boundary),
            _part("text/html", body_html),
            f"--{boundary}--\r\n".encode("ascii"),
        ]
    )


def envelope_sender() -> str:
    """The bare address of DEFAULT_FROM_EMAIL, for MAIL FROM."""
    return _parsed(settings.DEFAULT_FROM_EMAIL)[1]


# parseaddr is slow (a full RFC 5322 parser): the same From is parsed once, not per message,
# and a recipient's bare address needs no parsing at all.
@lru_cache(maxsize=32)
def _parsed(value: str) -> tuple[str, str]:
    return parseaddr(value)


_BARE_ADDRESS = re.compile(r"[^\s<>()\[\]\"',;:@]+@[^\s<>()\[\]\"',;:@]+")


def is_bare_address(value: str) -> bool:
    """local@domain with nothing around it: no name, no brackets, no space or newline."""
    return _BARE_ADDRESS.fullmatch(value) is not None


def _head(lines: list[tuple[str, str]]) -> bytes:
    # Every value went through _text or _address (or is ours): no bare newline is left.
    return "".join(f"{name}: {value}\r\n" for name, value in lines).encode("ascii")


def _single_line(value: str) -> None:
    """No header value may smuggle in a header of its own (as Django's BadHeaderError)."""
    if "\n" in value or "\r" in value:
        raise BadHeaderError(f"Header values can't contain newlines (got {value!r})")


def _text(value: str, name: str) -> str:
    """An unstructured header value: ASCII as it is, anything else as UTF-8 encoded-words."""
    _single_line(value)
    if value.isascii():
        return value
    return _encoded_words(value, name)


# Every message of a fan-out carries the same Subject: encode it once, not a thousand times.
@lru_cache(maxsize=256)
def _encoded_words(value: str, name: str) -> str:
    # header_name: the first line's encoded-words leave room for "Subject: ".
    return Header(value, "utf-8", maxlinelen=_FOLD_AT, header_name=name).encode(linesep="\r\n")


def _address(value: str) -> str:
    _single_line(value)
    if is_bare_address(value):
        return wire_address(value)
    return _named_address(value)


@lru_cache(maxsize=32)  # the From of every message: one name, encoded once
def _named_address(value: str) -> str:
    name, address = _parsed(value)
    return formataddr((name, wire_address(address)), charset="utf-8")


def wire_address(address: str) -> str:
    """The address as SMTP and headers carry it: an international domain in punycode (as
    Django does); a non-ASCII local part would need SMTPUTF8, which we do not assume."""
    local, _, domain = address.rpartition("@")
    if not local or not local.isascii():
        raise BadHeaderError(f"cannot send to {address!r}: not a plain ASCII mail address")
    if domain.isascii():
        return address
    try:
        return f"{local}@{punycode(domain)}"
    except UnicodeError as exc:
        raise BadHeaderError(f"cannot send to {address!r}: {exc}") from exc


def _boundary(boundary: str) -> bytes:
    return f"--{boundary}\r\n".encode("ascii")


def _part(content_type: str, body: str) -> bytes:
    """One UTF-8 part in base64: 7-bit clean, so no relay on the way needs 8BITMIME."""
    encoded = base64.encodebytes(body.encode("utf-8")).replace(b"\n", b"\r\n")
    return (
        f'Content-Type: {content_type}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode("ascii") + encoded
