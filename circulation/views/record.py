"""The decision record (審議結果): a printable page and a CSV of the replies."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from circulation.reads.records import build_record
from circulation.services.records import export_replies_csv
from circulation.services.viewing import record_circulation_view
from portal.permissions import (
    Action,
    circulation_or_404,
    may_on_circulation,
    may_see_member_names,
)


def _masked(request: HttpRequest, may_unmask: bool) -> bool:
    """Masked on request (for publication), and always for people who may not see names."""
    asked = request.GET.get("masked", "") in ("1", "true", "on", "yes")
    return asked or not may_unmask


@login_required
def decision_record(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.VIEW_DECISION_RECORD)
    if circulation.is_consultation:  # votes per item: the consultation's own record
        return redirect("consultation_record", circulation.pk)
    may_unmask = may_see_member_names(request.user, circulation)
    masked = _masked(request, may_unmask)
    record_circulation_view(circulation, user=request.user, page="record")
    return render(
        request,
        "circulation/decision/record.html",
        {
            "circulation": circulation,
            "record": build_record(circulation, masked=masked),
            "may_unmask": may_unmask,
            # Whoever may open the decision page also sees names, so members skip the check.
            "may_open_decision_page": may_unmask
            and may_on_circulation(request.user, Action.VIEW_DECISION_PAGE, circulation),
        },
    )


@login_required
def decision_record_csv(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.VIEW_DECISION_RECORD)
    masked = _masked(request, may_see_member_names(request.user, circulation))
    data = export_replies_csv(circulation, by=request.user, masked=masked)
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    name = f"審議結果_{circulation.pk}{'_匿名' if masked else ''}.csv"
    ascii_name = f"decision-record-{circulation.pk}{'-masked' if masked else ''}.csv"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
