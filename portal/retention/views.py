"""The council's retention page (保存期間): its periods, the records past them, the transfer
export (移管) and the approval of their disposal (廃棄). The secretariat only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from portal.permissions import Action, committee_or_404

from . import export as transfer
from . import services
from .forms import PolicyForm
from .models import DisposalItem


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def retention_page(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = committee_or_404(request.user, committee_id, Action.MANAGE_RETENTION)
    policy = services.policy_of(committee)
    form = PolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid():
        years = {name: form.cleaned_data[name] for name in PolicyForm.Meta.fields}
        services.set_policy(committee, by=request.user, years=years)
        messages.success(request, _("保存期間を変更しました。"))
        return redirect("retention_page", committee_id=committee.pk)
    items = DisposalItem.objects.filter(committee=committee)
    disposed = items.filter(state=DisposalItem.State.DISPOSED).order_by("-disposed_at")
    return render(
        request,
        "portal/retention/page.html",
        {
            "committee": committee,
            "form": form,
            "listed": items.filter(state=DisposalItem.State.LISTED),
            "disposed": disposed[:50],
        },
    )


@login_required
@require_safe
def retention_export(request: HttpRequest, committee_id: int) -> FileResponse:
    committee = committee_or_404(request.user, committee_id, Action.MANAGE_RETENTION)
    handle = transfer.export(committee, by=request.user)
    return FileResponse(handle, as_attachment=True, filename=f"kairan-transfer-{committee.pk}.zip")


@login_required
@require_POST
def retention_dispose(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = committee_or_404(request.user, committee_id, Action.MANAGE_RETENTION)
    ids = [int(value) for value in request.POST.getlist("item") if value.isdigit()]
    if not ids or request.POST.get("confirm") != "yes":
        messages.error(request, _("廃棄する記録を選び、確認の欄にチェックしてください。"))
        return redirect("retention_page", committee_id=committee.pk)
    disposed = services.approve_disposal(committee, by=request.user, item_ids=ids)
    messages.success(request, _("%(count)d件の記録を廃棄しました。") % {"count": len(disposed)})
    return redirect("retention_page", committee_id=committee.pk)
