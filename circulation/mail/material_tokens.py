"""Signed links to each material, per recipient, for members who only use mail: the notice
(and each reminder) carries one link per file, which opens it without logging in.

A link is Django's signing (HMAC-SHA256 with SECRET_KEY, SECRET_KEY_FALLBACKS accepted) of
(recipient id, material id, time of issue). It works while
- the material belongs to the recipient's circulation and was circulated (current, or an
  earlier version of a corrected one);
- the circulation is open or closed, and after the decision for the council's
  `material_link_days` more (審議会の設定), checked against the current state at each use;
- it is younger than KAIRAN_TOKEN_MAX_AGE_DAYS;
- the secretariat has not revoked the member's links since it was issued (the same
  Recipient.token_revoked_at that stops the reply links and the reply address);
- the member still sits on the council and the account is active (otherwise: log in).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from circulation.mail.tokens import TokenRefused
from circulation.models import Circulation, Decision, Material, Recipient
from portal.permissions import still_sits

_SALT = "kairan.circulation.material-link.v1"


def make_material_token(
    recipient: Recipient, material: Material, *, now: dt.datetime | None = None
) -> str:
    issued = int((now or timezone.now()).timestamp())
    return signing.dumps([recipient.pk, material.pk, issued], salt=_SALT, compress=False)


def material_link(
    recipient: Recipient, material: Material, *, now: dt.datetime | None = None
) -> str:
    token = make_material_token(recipient, material, now=now)
    return settings.SITE_URL + reverse("material_link", args=[token])


def material_links(
    recipient: Recipient, materials: list[Material], *, now: dt.datetime | None = None
) -> list[tuple[Material, str]]:
    """Each material with the recipient's link to it (for a mail's context)."""
    return [(material, material_link(recipient, material, now=now)) for material in materials]


def check_material_token(
    token: str, *, now: dt.datetime | None = None
) -> tuple[Recipient, Material]:
    """The recipient and the material of a link that works now; else TokenRefused with the
    reason ("invalid", "expired", "revoked", "term_ended")."""
    now = now or timezone.now()
    try:
        recipient_id, material_id, issued = signing.loads(token, salt=_SALT)
        issued_at = dt.datetime.fromtimestamp(int(issued), tz=dt.UTC)
    except (signing.BadSignature, TypeError, ValueError, OverflowError):
        raise TokenRefused("invalid") from None
    recipient = (
        Recipient.objects.select_related("circulation__committee", "user")
        .filter(pk=recipient_id)
        .first()
    )
    material = Material.objects.filter(pk=material_id).first()
    if recipient is None or material is None or not _circulated(material, recipient):
        raise TokenRefused("invalid")
    if recipient.token_revoked_at is not None and issued_at <= recipient.token_revoked_at:
        raise TokenRefused("revoked", recipient)
    too_old = now - issued_at > dt.timedelta(days=settings.KAIRAN_TOKEN_MAX_AGE_DAYS)
    if too_old or not _still_open_to_read(recipient.circulation, now):
        raise TokenRefused("expired", recipient)
    if not still_sits(recipient.user, recipient.circulation.committee, timezone.localdate(now)):
        raise TokenRefused("term_ended", recipient)
    return recipient, material


def link_valid_until(circulation: Circulation) -> dt.datetime | None:
    """When the links stop working, once the circulation is decided (None before)."""
    decided_at = (
        Decision.objects.filter(circulation=circulation).values_list("decided_at", flat=True)
    ).first()
    if decided_at is None:
        return None
    return decided_at + dt.timedelta(days=circulation.committee.material_link_days)


def _circulated(material: Material, recipient: Recipient) -> bool:
    if material.circulation_id != recipient.circulation_id:
        return False
    return material.is_current or Material.objects.filter(replaces=material).exists()


def _still_open_to_read(circulation: Circulation, now: dt.datetime) -> bool:
    S = Circulation.State
    if circulation.state in (S.OPEN, S.CLOSED):
        return True
    if circulation.state not in (S.DECIDED, S.ARCHIVED):
        return False
    until = link_valid_until(circulation)
    return until is not None and now < until
