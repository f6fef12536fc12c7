"""Context for committee pages, computed only if a template asks (they include
portal/auditlog/_committee_audit.html), from the memberships that the request's permission
checks already read (portal.permissions memoises them for the request):
- `audit_log_committees`: ids of committees whose log the viewer may read (secretariat);
- `audit_review_overdue`: ids of those whose log review (ログ確認) is overdue."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from portal.auditlog.reviews import overdue_committee_ids
from portal.permissions import Action, committees_of, may_on_committee


def _log_committee_ids(user: Any) -> set[int]:
    if user is None or not user.is_authenticated:
        return set()
    return {c.pk for c in committees_of(user) if may_on_committee(user, Action.VIEW_AUDIT_LOG, c)}


def audit_review(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "audit_log_committees": SimpleLazyObject(lambda: _log_committee_ids(user)),
        "audit_review_overdue": SimpleLazyObject(lambda: overdue_committee_ids(user)),
    }
