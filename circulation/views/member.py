"""The member's side: the circulation page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.permissions import Action, circulation_or_404

from ..text import render_markdown


@login_required
def circulation_detail(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.VIEW_CIRCULATION)
    recipient = circulation.recipients.filter(user=request.user).first()
    return render(
        request,
        "circulation/member/circulation_detail.html",
        {
            "circulation": circulation,
            "explanation_html": render_markdown(circulation.explanation),
            "materials": circulation.materials.filter(is_current=True),
            "recipient": recipient,
            "reply": recipient.current_reply if recipient else None,
        },
    )
