"""Invitations: the mail the secretariat's "add a member" sends, and its acceptance.

The link carries a signed, expiring token naming the membership and a fingerprint of the
person's account state (password, last login, address). Acceptance verifies the address
and logs the person in, which changes that state: a token works once.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from circulation.mail.outbox import queue_mail
from circulation.models import OutboxMessage
from portal import audit
from portal.models import AuditEntry, Membership, User
from portal.services.errors import Refused

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

_SALT = "kairan.invitation"


class InvitationStatus(enum.Enum):
    VALID = "valid"
    ACCEPTED = "accepted"  # the address is verified: the person logs in as usual
    EXPIRED = "expired"
    INVALID = "invalid"  # forged, for a removed person, or already used


@dataclass(frozen=True)
class Invitation:
    status: InvitationStatus
    membership: Membership | None = None


def has_verified_address(user: User) -> bool:
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def _fingerprint(user: User) -> str:
    last_login = user.last_login.replace(microsecond=0).isoformat() if user.last_login else ""
    state = f"{user.pk}|{user.email}|{user.password}|{last_login}|{has_verified_address(user)}"
    return salted_hmac(_SALT, state, algorithm="sha256").hexdigest()[:32]


def make_invitation_token(membership: Membership) -> str:
    return signing.dumps({"m": membership.pk, "f": _fingerprint(membership.user)}, salt=_SALT)


def read_invitation(token: str) -> Invitation:
    """What a token opens, without changing anything (mail scanners may fetch links)."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=settings.KAIRAN_INVITATION_SECONDS)
    except signing.SignatureExpired:
        return Invitation(InvitationStatus.EXPIRED)
    except signing.BadSignature:
        return Invitation(InvitationStatus.INVALID)
    membership = (
        Membership.objects.select_related("user", "committee").filter(pk=payload.get("m")).first()
    )
    if membership is None or not membership.user.is_active:
        return Invitation(InvitationStatus.INVALID)
    if has_verified_address(membership.user):
        return Invitation(InvitationStatus.ACCEPTED, membership)
    if not constant_time_compare(str(payload.get("f", "")), _fingerprint(membership.user)):
        return Invitation(InvitationStatus.INVALID, membership)
    return Invitation(InvitationStatus.VALID, membership)


def queue_invitation_mail(membership: Membership, *, by: User, key: str) -> OutboxMessage | None:
    """The invitation mail: an acceptance link for a new person, a login link for someone
    who already has an account. Call inside the caller's transaction."""
    user = membership.user
    accepted = has_verified_address(user)
    accept_url = (
        None
        if accepted
        else settings.SITE_URL
        + reverse("invitation_accept", args=[make_invitation_token(membership)])
    )
    return queue_mail(
        purpose="account.invitation",
        to=user,
        template="invitation",
        context={
            "membership": membership,
            "committee": membership.committee,
            "inviter": by,
            "accept_url": accept_url,
            "login_url": settings.SITE_URL + reverse("account_login"),
            "valid_days": settings.KAIRAN_INVITATION_SECONDS // 86400,
            "expires_at": timezone.now() + dt.timedelta(seconds=settings.KAIRAN_INVITATION_SECONDS),
        },
        key=key,
    )


def resend_invitation(membership: Membership, by: User) -> OutboxMessage:
    """A fresh invitation mail (with a fresh token) for someone who has not accepted."""
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update()
            .select_related("user", "committee")
            .get(pk=membership.pk)
        )
        if has_verified_address(membership.user):
            raise Refused(
                _(
                    "%(name)sさんはすでに招待を承諾しています。"
                    "ログイン画面から、メールで届くログインコードでログインできます。"
                )
                % {"name": membership.user.full_name}
            )
        if membership.term_end is not None and membership.term_end < timezone.localdate():
            raise Refused(_("任期が終了した方には招待を再送できません。"))
        # A second click within the same minute is the same request, not another mail.
        key = f"{membership.pk}:resend:{timezone.now():%Y%m%d%H%M}"
        message = queue_invitation_mail(membership, by=by, key=key)
        if message is None:
            raise Refused(_("招待メールは先ほど再送しました。届くまでしばらくお待ちください。"))
        audit.record(
            "account.invitation.resent",
            actor=by,
            obj=membership,
            data={"email": membership.user.email, "outbox_id": message.pk},
        )
    return message


def accept_invitation(token: str, full_name: str, password: str, language: str) -> User:
    """The invited person confirms their name and (optionally) sets a password; their
    address becomes verified and primary. The caller then logs them in."""
    with transaction.atomic():
        invitation = read_invitation(token)
        if invitation.status is not InvitationStatus.VALID or invitation.membership is None:
            raise Refused(_("この招待リンクは使えません。"))
        membership = invitation.membership
        user = User.objects.select_for_update().get(pk=membership.user_id)
        user.full_name = full_name.strip()
        if language in dict(settings.LANGUAGES):
            user.language = language
        if password:
            user.set_password(password)
        user.save(update_fields=["full_name", "language", "password"])
        _verify_primary_address(user)
        audit.record(
            "account.invitation.accepted",
            actor=user,
            obj=membership,
            data={"password_set": bool(password)},
        )
    return user


def record_refused_invitation(
    invitation: Invitation, *, user: User | AnonymousUser, reason: str
) -> None:
    """An invitation link that did not open (forged, expired, used, or opened by someone
    signed in as another person) is logged as refused, naming the membership when known."""
    audit.record(
        "account.invitation.refused",
        actor=user if user.is_authenticated else None,
        obj=invitation.membership,
        result=AuditEntry.Result.REFUSED,
        data={"reason": reason},
    )


def _verify_primary_address(user: User) -> None:
    address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
    if address is None:
        address = EmailAddress(user=user, email=user.email)
    EmailAddress.objects.filter(user=user, primary=True).exclude(pk=address.pk).update(
        primary=False
    )
    address.verified = True
    address.primary = True
    address.save()
