"""`{% may_see_sessions committee as flag %}`: whether the person may open the council's
sessions (those who sit and the secretariat; portal/permissions_session.py decides)."""

from __future__ import annotations

from django import template

from portal.models import Committee, User
from portal.permissions_session import SessionAction, may_on_session_committee

register = template.Library()


@register.simple_tag(takes_context=True)
def may_see_sessions(context: template.Context, committee: Committee) -> bool:
    user: User = context["request"].user
    return may_on_session_committee(user, SessionAction.VIEW, committee)
