"""One message to one recipient over an open smtplib connection, with PIPELINING (RFC 2920)
when the server offers it.

smtplib sends MAIL, RCPT and DATA one at a time and waits for each answer: three round trips
before the message itself. Relays (Postfix, Exim, Exchange and the large mail services) offer
PIPELINING, so the three commands go out in one write and their three answers are read after:
one round trip instead of three per message, which matters most when the relay is across a
network. Without PIPELINING, smtplib's own `sendmail` is used.

Either way the outcome is what `smtplib.SMTP.sendmail` gives for one recipient, the same
exceptions with the same codes, so delivery's rules (4xx: retry, 5xx: failed) are unchanged:
SMTPSenderRefused, SMTPRecipientsRefused, SMTPDataError, SMTPServerDisconnected.
"""

from __future__ import annotations

import re
import smtplib

from circulation.mail import mime

_CRLF = b"\r\n"
_LEADING_DOT = re.compile(rb"(?m)^\.")


def send(client: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> None:
    """Send `data` from `sender` to `recipient`; raise as smtplib does when it is refused."""
    client.ehlo_or_helo_if_needed()
    if not (client.does_esmtp and client.has_extn("pipelining")):
        refused = client.sendmail(sender, [recipient], data)
        if refused:  # one recipient: refused means not sent
            raise smtplib.SMTPRecipientsRefused(refused)
        return
    size = f" size={len(data)}" if client.has_extn("size") else ""
    client.send(f"mail FROM:{_angle(sender)}{size}\r\nrcpt TO:{_angle(recipient)}\r\ndata\r\n")
    # Three answers, in order; after a 421 the server says nothing more and closes.
    mail = client.getreply()
    rcpt = client.getreply() if mail[0] != 421 else None
    data_reply = client.getreply() if rcpt and rcpt[0] != 421 else None
    refusal: smtplib.SMTPException | None = None
    if mail[0] != 250:
        refusal = smtplib.SMTPSenderRefused(mail[0], mail[1], sender)
    elif rcpt is None or rcpt[0] not in (250, 251):
        refusal = smtplib.SMTPRecipientsRefused({recipient: rcpt or mail})
    elif data_reply is None or data_reply[0] != 354:
        refusal = smtplib.SMTPDataError(*(data_reply or rcpt))
    if refusal is not None:
        last = data_reply or rcpt or mail
        _abandon(client, 421 if 421 in (mail[0], (rcpt or mail)[0]) else last[0])
        raise refusal
    quoted = _LEADING_DOT.sub(b"..", data)
    if not quoted.endswith(_CRLF):
        quoted += _CRLF
    client.send(quoted + b"." + _CRLF)
    code, answer = client.getreply()
    if code != 250:
        _abandon(client, code)
        raise smtplib.SMTPDataError(code, answer)


def _angle(address: str) -> str:
    # A bare address needs no parsing to be put in angle brackets (smtplib parses each time).
    return f"<{address}>" if mime.is_bare_address(address) else smtplib.quoteaddr(address)


def _abandon(client: smtplib.SMTP, last_code: int) -> None:
    """End the refused transaction as smtplib does: the server closing (421) closes our side
    too, anything else is reset. A DATA that was accepted although MAIL or RCPT was refused
    gets its end mark first, an empty message the server then refuses (RFC 2920)."""
    if last_code == 421:
        client.close()
        return
    try:
        if last_code == 354:
            client.send(b"." + _CRLF)
            client.getreply()
        client.rset()
    except smtplib.SMTPServerDisconnected:
        pass  # as smtplib's _rset: the next command will find out
