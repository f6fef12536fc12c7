"""A member's reply (回答): every version kept; refused after the deadline; two tabs
saving at once never overwrite each other silently."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from circulation.mail.circulation import queue_reply_receipt
from circulation.models import Circulation, Recipient, Reply
from circulation.templatetags.kairan import format_jst
from portal import audit
from portal.models import User
from portal.permissions import still_sits

# The same words for whoever sent it: the member (web, link, mail) or the secretariat
# recording a held mail as the member's reply.
TERM_ENDED = gettext_lazy("任期が終了しているため、回答は受け付けられません。")


class ReplyRefused(Exception):
    """Too late (or not open), or the member's term has ended: the member is told, and
    what they typed is shown back. `reason`: "deadline" or "term_ended"."""

    def __init__(self, message: str, reason: str = "deadline") -> None:
        super().__init__(message)
        self.reason = reason


class ReplyInvalid(Exception):
    """The reply itself is incomplete (e.g. 意見あり without an opinion)."""


class ReplyConflict(Exception):
    """The reply changed since the member's page was loaded (another tab, or mail)."""

    def __init__(self, current: Reply | None) -> None:
        super().__init__(_("回答は別の画面またはメールで変更されています。"))
        self.current = current


def judged_moment(received_at: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """The moment a reply is judged by: when its request reached the portal (stamped by
    portal.middleware.ArrivalMiddleware), not when the service got to it — but trusted back
    at most KAIRAN_REPLY_GRACE_SECONDS, the time a request may wait inside a busy server.
    A request that arrived at or after the deadline is refused exactly."""
    if received_at is None:
        return now
    grace = dt.timedelta(seconds=settings.KAIRAN_REPLY_GRACE_SECONDS)
    return min(now, max(received_at, now - grace))


def submit_reply(
    *,
    recipient: Recipient,
    kind: str,
    opinion: str = "",
    meeting_needed: bool | None = None,
    channel: str = Reply.Channel.WEB,
    submitted_by: User | None = None,
    base_version: int | None = None,
    now: dt.datetime | None = None,
    received_at: dt.datetime | None = None,
    send_receipt: bool = True,
) -> Reply:
    """Record a new version of the recipient's reply and queue the receipt.

    `base_version` is the version the member's form was based on (0 for none); None skips
    the check (mail replies, which are always the member's latest word).
    `received_at`: when the web request arrived; the deadline is judged by it (judged_moment)
    and the reply is recorded as submitted then.
    `send_receipt=False`: the caller queues its own receipt in the same transaction (mail and
    link replies quote the mail and carry the member's links), so there is exactly one.
    """
    now = judged_moment(received_at, now or timezone.now())
    opinion = opinion.strip()
    if kind not in Reply.Kind.values:
        raise ReplyInvalid(_("「意見なし」か「意見あり」を選んでください。"))
    if kind == Reply.Kind.OPINION and not opinion:
        raise ReplyInvalid(_("「意見あり」の場合は意見を入力してください。"))
    if kind == Reply.Kind.NO_OPINION:
        opinion = ""
    with transaction.atomic():
        recipient = _locked_receipt(recipient.pk)
        circulation = recipient.circulation
        # A consultation is answered with votes (services/votes.py adds them per item in
        # this transaction), a circulation never: the kinds do not mix.
        if (kind == Reply.Kind.VOTE) != circulation.is_consultation:
            raise ReplyInvalid(
                _("諮問には賛否で回答してください。")
                if circulation.is_consultation
                else _("「意見なし」か「意見あり」を選んでください。")
            )
        sits = still_sits(recipient.user, circulation.committee, timezone.localdate(now))
        if sits and circulation.accepts_replies_at(now):
            reply = _record_reply(
                recipient, circulation, kind, opinion, meeting_needed, channel,
                submitted_by, base_version, now,
            )  # fmt: skip
            if send_receipt:
                queue_reply_receipt(reply)
            return reply
    # Refused: logged outside the (rolled-back) transaction so the refusal is kept.
    reason = "deadline" if sits else "term_ended"
    audit.record(
        "circulation.reply.refused",
        actor=submitted_by,
        obj=circulation,
        result="refused",
        actor_label="" if submitted_by else recipient.user.email,
        data={"reason": reason, "channel": channel},
    )
    if not sits:
        raise ReplyRefused(str(TERM_ENDED), reason)
    raise ReplyRefused(
        _("回答期限(%(deadline)s)を過ぎたため、回答を受け付けられません。")
        % {"deadline": _deadline_text(circulation)}
    )


def _locked_receipt(recipient_id: int) -> Recipient:
    """The Recipient row locked for update (two tabs saving at once take turns; only the
    row: the circulation is read, not locked), read in the same statement with its
    circulation, committee, current reply and person."""
    recipient = (
        Recipient.objects.select_for_update(of=("self",))
        .select_related("circulation__committee", "current_reply", "user")
        .get(pk=recipient_id)
    )
    reply = recipient.current_reply
    if recipient.current_reply_id is not None and (
        reply is None or reply.pk != recipient.current_reply_id
    ):
        # Another reply was saved while this statement waited for the lock. PostgreSQL (READ
        # COMMITTED) then returns the locked row as it is now, but the joined rows as of the
        # statement's start: the new reply is missing. Read it again now that it is committed.
        recipient.current_reply = Reply.objects.get(pk=recipient.current_reply_id)
    return recipient


def _record_reply(
    recipient: Recipient,
    circulation: Circulation,
    kind: str,
    opinion: str,
    meeting_needed: bool | None,
    channel: str,
    submitted_by: User | None,
    base_version: int | None,
    now: dt.datetime,
) -> Reply:
    current = recipient.current_reply
    current_version = current.version if current else 0
    if base_version is not None and base_version != current_version:
        raise ReplyConflict(current)
    reply = Reply.objects.create(
        recipient=recipient,
        version=current_version + 1,
        kind=kind,
        opinion=opinion,
        meeting_needed=meeting_needed,
        channel=channel,
        submitted_by=submitted_by,
        submitted_at=now,
    )
    recipient.current_reply = reply
    recipient.save(update_fields=["current_reply"])
    audit.record(
        "circulation.reply.submitted",
        actor=submitted_by,
        obj=reply,
        committee=circulation.committee,
        actor_label="" if submitted_by else recipient.user.email,
        data={
            "circulation": circulation.pk,
            "version": reply.version,
            "kind": kind,
            "meeting_needed": meeting_needed,
            "channel": channel,
        },
    )
    return reply


def _deadline_text(circulation: Circulation) -> str:
    return format_jst(circulation.deadline)
