"""Site-level permissions: the operators' pages (the site's status, its metrics, mail that
belongs to no council), which no council role opens."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from django.conf import settings

from portal.permissions import refuse

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from portal.models import User


def is_site_staff(user: User | AnonymousUser) -> bool:
    """The site's operators (User.is_staff, set in the admin): they see how the site runs,
    never what a council holds."""
    return bool(user.is_authenticated and user.is_active and (user.is_staff or user.is_superuser))


def site_staff_or_404(
    user: User | AnonymousUser, action: str = "handle_mail_of_no_council", **obj: Any
) -> None:
    """Site-level pages (the site's status, mail that belongs to no council) exist for site
    staff only: anyone else signed in gets a logged 404 (the page is not theirs to know of);
    anonymous visitors are sent to log in by the view."""
    if not is_site_staff(user):
        refuse(user, action, 404, **(obj or {"object_type": "site", "object_id": str(action)}))


def may_read_metrics(user: User | AnonymousUser, authorization: str) -> bool:
    """Site staff, or a scraper presenting `Authorization: Bearer <KAIRAN_METRICS_TOKEN>`
    (when one is set): Prometheus cannot log in."""
    token = settings.KAIRAN_METRICS_TOKEN
    if token and hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
        return True
    return is_site_staff(user)
