"""Foundation pages. Views parse, authorise (portal.permissions) and call one service."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.models import Membership
from portal.permissions import Action, committee_or_404, may_on_committee


@login_required
def committee_detail(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = committee_or_404(request.user, committee_id, Action.VIEW_COMMITTEE)
    memberships = Membership.objects.current().filter(committee=committee).select_related("user")
    return render(
        request,
        "portal/committee_detail.html",
        {
            "committee": committee,
            "memberships": memberships,
            "may_manage_members": may_on_committee(request.user, Action.MANAGE_MEMBERS, committee),
            "may_manage_circulations": may_on_committee(
                request.user, Action.MANAGE_CIRCULATIONS, committee
            ),
        },
    )
