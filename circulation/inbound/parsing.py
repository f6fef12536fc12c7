"""From raw bytes to what Kairan needs of a mail: sender, addresses, thread ids, the body as
text, the attachments, and whether a machine rather than a person wrote it.

The stdlib email package (policy=default) gives the structure; headers and bodies are
decoded here (charsets.py) because Japanese mail is often labelled wrongly.
"""

from __future__ import annotations

import email
import email.errors
import email.policy
import email.utils
import re
import unicodedata
from dataclasses import dataclass, field
from email.message import EmailMessage, Message

from circulation.inbound.charsets import decode_bytes, decode_header_value
from circulation.inbound.text import html_to_text

AUTO_REPLY, BOUNCE = "auto_reply", "bounce"


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class ParsedMail:
    from_address: str = ""  # lowercased addr-spec
    from_name: str = ""
    to_addresses: list[str] = field(default_factory=list)  # To, Cc, Delivered-To, envelope…
    subject: str = ""
    message_id: str = ""
    thread_ids: list[str] = field(default_factory=list)  # In-Reply-To first, then References
    text: str = ""  # the whole body as text (HTML converted), quotes not yet removed
    attachments: list[Attachment] = field(default_factory=list)
    automatic: str = ""  # "", AUTO_REPLY or BOUNCE
    defects: list[str] = field(default_factory=list)  # the structure is broken (MALFORMED)


def parse_message(
    raw: bytes, *, envelope_sender: str | None = None, envelope_recipient: str = ""
) -> ParsedMail:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    parsed = ParsedMail()
    parsed.from_name, parsed.from_address = _address(header(msg, "From"))
    parsed.subject = decode_header_value(header(msg, "Subject"))[:300]
    parsed.message_id = next(iter(_ids(header(msg, "Message-ID"))), "")
    parsed.thread_ids = _ids(header(msg, "In-Reply-To")) + list(
        reversed(_ids(header(msg, "References")))
    )
    parsed.to_addresses = _recipients(msg, envelope_recipient)
    body = msg.get_body(preferencelist=("plain", "html"))
    parsed.text = _body_text(body) if body is not None else ""
    parsed.attachments = _attachments(msg, body)
    parsed.automatic = automatic_kind(msg, parsed, envelope_sender)
    parsed.defects = structural_defects(msg)  # after decoding: base64 defects appear then
    return parsed


def header(msg: Message, name: str) -> str:
    """The first raw value of a header, unparsed (our own decoding copes with more)."""
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return ""


def headers(msg: Message, name: str) -> list[str]:
    return [str(v) for k, v in msg.raw_items() if k.lower() == name.lower()]


def normalise_address(address: str) -> str:
    """Case- and subaddress-insensitive: Tanaka+x@Example.JP → tanaka@example.jp."""
    local, _, domain = (address or "").strip().lower().rpartition("@")
    if not local:
        return domain
    return f"{local.split('+', 1)[0]}@{domain}"


def _address(value: str) -> tuple[str, str]:
    name, addr = email.utils.parseaddr(re.sub(r"\r?\n[ \t]+", " ", value))
    return decode_header_value(name)[:200], addr.strip().lower()[:254]


def _ids(value: str) -> list[str]:
    return [i.lower() for i in re.findall(r"<[^<>\s]+>", value or "")]


def _recipients(msg: Message, envelope_recipient: str) -> list[str]:
    values = [envelope_recipient]
    for name in ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To", "Cc"):
        values += headers(msg, name)
    found: list[str] = []
    for _name, addr in email.utils.getaddresses([re.sub(r"\r?\n[ \t]+", " ", v) for v in values]):
        addr = addr.strip().lower()
        if "@" in addr and addr not in found:
            found.append(addr)
    return found


# The parser's defects that mean the mail is broken (boundaries missing or unclosed, a part
# cut short, base64 that does not decode): what we would read from it may not be what the
# member wrote, so such mail is held, never recorded. Mere header oddities do not count.
_STRUCTURAL = (
    email.errors.NoBoundaryInMultipartDefect,
    email.errors.StartBoundaryNotFoundDefect,
    email.errors.CloseBoundaryNotFoundDefect,
    email.errors.MultipartInvariantViolationDefect,
    email.errors.MissingHeaderBodySeparatorDefect,
    email.errors.MisplacedEnvelopeHeaderDefect,
    email.errors.FirstHeaderLineIsContinuationDefect,
    email.errors.InvalidBase64PaddingDefect,
    email.errors.InvalidBase64CharactersDefect,
    email.errors.InvalidBase64LengthDefect,
)


def structural_defects(msg: Message) -> list[str]:
    found = [type(d).__name__ for part in msg.walk() for d in part.defects]
    wanted = {cls.__name__ for cls in _STRUCTURAL}
    return sorted({name for name in found if name in wanted})


# --- Body and attachments ---------------------------------------------------------------------


def part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return decode_bytes(payload, part.get_content_charset())


def _body_text(part: Message) -> str:
    text = part_text(part)
    if part.get_content_type() == "text/html":
        return html_to_text(text)
    return _unflow(part, text)


def _unflow(part: Message, text: str) -> str:
    """format=flowed (Thunderbird): soft line breaks end with a space; join them."""
    if part.get_param("format", "").lower() != "flowed":
        return text
    delsp = part.get_param("delsp", "").lower() == "yes"
    out: list[str] = []
    for line in text.split("\n"):
        if out and out[-1].endswith(" ") and not out[-1].startswith(">") and out[-1] != "-- ":
            out[-1] = (out[-1][:-1] if delsp else out[-1]) + line
        else:
            out.append(line)
    return "\n".join(out)


def _attachments(msg: EmailMessage, body: Message | None) -> list[Attachment]:
    """Every file a person attached; not the body, its alternative, nor inline images of an
    HTML signature (a logo referenced by Content-ID inside multipart/related)."""
    skip = _body_alternatives(msg, body)
    found: list[Attachment] = []
    for part, in_related in _leaves(msg):
        if any(part is s for s in skip):
            continue
        ctype = part.get_content_type()
        disposition = (part.get_content_disposition() or "").lower()
        if ctype in ("message/delivery-status", "message/disposition-notification"):
            continue
        if in_related and part.get("Content-ID") and disposition != "attachment":
            continue
        if ctype.startswith("text/") and disposition != "attachment" and not part.get_filename():
            continue
        data = _payload_bytes(part)
        if data is None:
            continue
        name = sanitise_filename(part.get_filename() or "", ctype, len(found) + 1)
        found.append(Attachment(filename=name, content_type=ctype[:100], data=data))
    return found


def _leaves(part: Message, in_related: bool = False) -> list[tuple[Message, bool]]:
    """The leaf parts, a forwarded message (message/rfc822) counting as one leaf."""
    ctype = part.get_content_type()
    if ctype == "message/rfc822" or not part.is_multipart():
        return [(part, in_related)]
    related = ctype == "multipart/related"
    return [leaf for child in part.iter_parts() for leaf in _leaves(child, related)]


def _body_alternatives(msg: EmailMessage, body: Message | None) -> list[Message]:
    if body is None:
        return []
    skip: list[Message] = [body]
    for container in msg.walk():
        if container.get_content_type() != "multipart/alternative":
            continue
        children = list(container.iter_parts())
        if any(c is body or _contains(c, body) for c in children):
            skip += [leaf for c in children for leaf in c.walk() if not leaf.is_multipart()]
    return skip


def _contains(container: Message, part: Message) -> bool:
    return container.is_multipart() and any(p is part for p in container.walk())


def _payload_bytes(part: Message) -> bytes | None:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        if isinstance(inner, list) and inner:
            return inner[0].as_bytes()
        return None
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else None


_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069/\\:*?\"<>|]")
_EXTENSIONS = {"application/pdf": ".pdf", "message/rfc822": ".eml", "text/plain": ".txt",
               "image/png": ".png", "image/jpeg": ".jpg"}  # fmt: skip


def sanitise_filename(name: str, content_type: str = "", index: int = 1) -> str:
    """A name safe to show and to offer as a download: no path, no control or bidirectional
    override characters, not hidden, at most 150 characters keeping the extension."""
    if "=?" in name:
        name = decode_header_value(name)
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_CHARS.sub("_", name).strip().lstrip(".").strip()
    if not name or set(name) <= {"_", "."}:
        name = f"attachment-{index}{_EXTENSIONS.get(content_type, '.bin')}"
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 150 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:150]
    return name


# --- Written by a machine? ---------------------------------------------------------------------

_VACATION_AT_START = re.compile(
    r"^\s*(自動応答|自動返信|自動送信|不在|Automatic reply|Auto(matic)?[- ]?reply|"
    r"Auto[- ]?response|Out of (the )?office|Abwesen)",
    re.IGNORECASE,
)
_VACATION_ANYWHERE = re.compile(
    r"(不在のお知らせ|不在通知|休暇のお知らせ|自動応答|自動返信|Out of (the )?office|"
    r"Automatic reply|Autoreply|Vacation reply)",
    re.IGNORECASE,
)
_BOUNCE_SENDERS = ("mailer-daemon", "postmaster", "mail-daemon")


def automatic_kind(msg: Message, parsed: ParsedMail, envelope_sender: str | None) -> str:
    """BOUNCE for delivery reports, AUTO_REPLY for vacation notices and other machine mail
    (RFC 3834 headers, vendor headers, Precedence, read receipts, vacation subjects)."""
    ctype = msg.get_content_type()
    report = (msg.get_param("report-type") or "").lower() if ctype == "multipart/report" else ""
    local = parsed.from_address.split("@", 1)[0]
    if report == "delivery-status" or local in _BOUNCE_SENDERS:
        return BOUNCE
    if report == "disposition-notification":
        return AUTO_REPLY  # a read receipt
    auto_submitted = header(msg, "Auto-Submitted").split(";", 1)[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return AUTO_REPLY
    if any(header(msg, h) for h in ("X-Autoreply", "X-Autorespond", "X-Autogenerated",
                                      "X-AutoReply-From", "X-Mail-Autoreply")):  # fmt: skip
        return AUTO_REPLY
    if header(msg, "Precedence").strip().lower() in ("bulk", "auto_reply", "junk"):
        return AUTO_REPLY
    if "autoresponder" in header(msg, "X-POST-MessageClass").lower():
        return AUTO_REPLY
    null_sender = envelope_sender == "" or header(msg, "Return-Path").strip() == "<>"
    if null_sender:
        return AUTO_REPLY  # RFC 3834: automatic responses are sent with a null return path
    subject = parsed.subject
    if _VACATION_AT_START.search(subject) or _VACATION_ANYWHERE.search(subject):
        return AUTO_REPLY
    return ""
