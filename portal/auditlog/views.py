"""The secretariat's audit pages (操作記録, ログ確認) and the privacy notice.

Views parse, authorise through portal.permissions (refusals are logged there) and call one
service each."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from portal.auditlog import privacy, reviews, services
from portal.auditlog.forms import AuditFilterForm, LogReviewForm
from portal.models import Committee, LogReview
from portal.permissions import Action, committee_or_404, committees_or_404


def _allowed_committees(request: HttpRequest) -> list[Committee]:
    committees = committees_or_404(request.user, Action.VIEW_AUDIT_LOG)
    raw = request.GET.get("committee", "")
    if raw.isdigit():
        # A committee in the filter that is not the viewer's answers like its own page:
        # 404 (or 403 for a member of it), logged as a refusal.
        committee_or_404(request.user, int(raw), Action.VIEW_AUDIT_LOG)
    return committees


def _render_log(
    request: HttpRequest,
    committees: list[Committee],
    form: AuditFilterForm,
    page: object = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "page": page,
        "committees": committees,
        "review_statuses": [reviews.review_status(c) for c in committees],
        "known_actions": services.known_actions(committees),
    }
    return render(request, "portal/auditlog/log.html", context, status=status)


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    committees = _allowed_committees(request)
    form = AuditFilterForm(request.GET, committees=committees)
    if not form.is_valid():
        return _render_log(request, committees, form, status=400)
    page = services.view_audit_log(
        viewer=request.user,
        committees=committees,
        criteria=form.criteria(),
        page_number=request.GET.get("page"),
    )
    return _render_log(request, committees, form, page)


@login_required
@require_GET
def audit_log_export(request: HttpRequest) -> HttpResponse:
    committees = _allowed_committees(request)
    form = AuditFilterForm(request.GET, committees=committees)
    if not form.is_valid():
        return _render_log(request, committees, form, status=400)
    filename, content = services.export_audit_log(
        viewer=request.user, committees=committees, criteria=form.criteria()
    )
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def log_reviews(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = committee_or_404(request.user, committee_id, Action.REVIEW_AUDIT_LOG)
    status = reviews.review_status(committee)
    if request.method == "POST":
        form = LogReviewForm(request.POST)
        if form.is_valid():
            try:
                reviews.record_log_review(
                    committee=committee, reviewer=request.user, **form.cleaned_data
                )
            except reviews.ReviewInvalid as exc:
                form.add_error(exc.field, str(exc))
            else:
                messages.success(request, _("ログ確認を記録しました。"))
                return redirect("audit_log_reviews", committee_id=committee.pk)
    else:
        form = LogReviewForm(
            initial={
                "period_start": status.next_period_start,
                "period_end": timezone.localdate(),
            }
        )
    context = {
        "committee": committee,
        "form": form,
        "status": status,
        "reviews": LogReview.objects.filter(committee=committee).select_related("reviewer"),
    }
    http_status = 400 if form.is_bound else 200
    return render(request, "portal/auditlog/reviews.html", context, status=http_status)


@require_GET
def privacy_notice(request: HttpRequest) -> HttpResponse:
    """Public: anyone may read what Kairan logs. A logged-in person's first visit is
    recorded, after which the banner asking them to read it disappears."""
    if request.user.is_authenticated and request.user.privacy_notice_seen_at is None:
        privacy.acknowledge_privacy_notice(request.user)
    days = settings.KAIRAN_AUDIT_RETENTION_DAYS
    context = {
        "retention_days": days,
        "retention_years": round(days / 365, 1),
        "default_audit_years": privacy.DEFAULT_AUDIT_YEARS,
        "councils": privacy.council_audit_periods(request.user),
    }
    return render(request, "portal/privacy.html", context)
