"""The audit log (操作記録): one function writes every entry.

Services call `record`; the request's IP and user agent come from a context variable that
`AuditContextMiddleware` sets, so services need no request object and tasks log with none.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any

from django.db import models

from portal.models import AuditEntry, Committee, User


@dataclass(frozen=True)
class Origin:
    ip: str | None = None
    user_agent: str = ""
    path: str = ""  # the request's path (no query string), for refusals


_NO_ORIGIN = Origin()  # frozen, so a shared default is safe
_origin: contextvars.ContextVar[Origin] = contextvars.ContextVar("audit_origin", default=_NO_ORIGIN)


def set_origin(origin: Origin) -> contextvars.Token[Origin]:
    return _origin.set(origin)


def reset_origin(token: contextvars.Token[Origin]) -> None:
    _origin.reset(token)


def current_origin() -> Origin:
    return _origin.get()


def record(
    action: str,
    *,
    actor: User | None = None,
    obj: models.Model | None = None,
    committee: Committee | None = None,
    result: str = AuditEntry.Result.OK,
    actor_label: str = "",
    data: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
) -> AuditEntry:
    """Append one entry. `action` is a dotted name such as `circulation.reply.submitted`.

    `object_type`/`object_id` name an object that is not at hand (e.g. a refused id that
    does not exist); `obj` wins when given."""
    origin = current_origin()
    if committee is None and obj is not None:
        committee = committee_of(obj)
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditEntry.objects.create(
        actor=actor,
        actor_label=actor_label or (actor.email if actor else ""),
        action=action,
        committee=committee,
        object_type=obj._meta.label_lower if obj is not None else object_type[:100],
        object_id=str(obj.pk) if obj is not None else str(object_id)[:64],
        object_repr=str(obj)[:300] if obj is not None else "",
        ip=origin.ip,
        user_agent=origin.user_agent[:300],
        result=result,
        data=data or {},
    )


def committee_of(obj: models.Model) -> Committee | None:
    """The committee an object belongs to (itself, its committee, its circulation's)."""
    if isinstance(obj, Committee):
        return obj
    committee = getattr(obj, "committee", None)
    if isinstance(committee, Committee):
        return committee
    circulation = getattr(obj, "circulation", None)
    return getattr(circulation, "committee", None) if circulation is not None else None
