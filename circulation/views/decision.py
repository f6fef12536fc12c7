"""The decision page (開催の要否): the decider sees the tally, every named opinion, the Q&A
and who did not reply, and decides; the secretariat sees it read-only and may mark the
chair absent and archive a decided circulation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from circulation.models import Circulation
from circulation.reads.deciding import people_to_tell
from circulation.reads.meetings import panel_of
from circulation.reads.records import build_record
from circulation.services.decisions import (
    REASON_MAX_LENGTH,
    REASON_REQUIRED,
    ArchiveRefused,
    DecisionInvalid,
    DecisionRefused,
    archive_circulation,
    decide,
)
from circulation.services.viewing import record_circulation_view
from portal.models import Role
from portal.permissions import (
    Action,
    circulation_or_404,
    committee_or_404,
    decider_of,
    may_on_circulation,
    may_on_committee,
)
from portal.services.membership import set_chair_absent


class DecisionForm(forms.Form):
    convene = forms.ChoiceField(
        label=gettext_lazy("開催の要否"),
        choices=[("yes", gettext_lazy("開催する")), ("no", gettext_lazy("開催しない"))],
        error_messages={
            "required": gettext_lazy("「開催する」か「開催しない」のボタンを押してください。"),
            "invalid_choice": gettext_lazy(
                "「開催する」か「開催しない」のボタンを押してください。"
            ),
        },
    )
    reason = forms.CharField(
        label=gettext_lazy("理由"),
        max_length=REASON_MAX_LENGTH,
        error_messages={
            "required": REASON_REQUIRED,
            "max_length": gettext_lazy("理由は%(limit_value)d文字以内で入力してください。"),
        },
    )


@login_required
def decision_page(request: HttpRequest, circulation_id: int) -> HttpResponse:
    try:
        circulation = circulation_or_404(request.user, circulation_id, Action.VIEW_DECISION_PAGE)
    except PermissionDenied:
        # Members read the decision in the record once it exists; before that, 403.
        circulation_or_404(request.user, circulation_id, Action.VIEW_DECISION_RECORD)
        return redirect("decision_record", circulation_id)
    if circulation.is_consultation:  # the chair's page of a consultation is its own
        return redirect("consultation_result", circulation.pk)
    form = DecisionForm()
    refusal: DecisionRefused | None = None
    if request.method != "POST":
        record_circulation_view(circulation, user=request.user, page="decision")
    if request.method == "POST":
        form = DecisionForm(request.POST)
        if form.is_valid() and "edit" not in request.POST:
            convene = form.cleaned_data["convene"] == "yes"
            confirmed = request.POST.get("confirmed") == "1"
            if not confirmed and may_on_circulation(request.user, Action.DECIDE, circulation):
                # Nothing is recorded yet: the decider sees what will be recorded and who
                # will be told, and confirms (or goes back with the reason kept).
                return _confirmation(request, circulation, form, convene)
            try:
                decide(
                    circulation.pk,
                    convene=convene,
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except DecisionInvalid as invalid:
                form.add_error("reason", str(invalid))
            except DecisionRefused as refused:
                refusal = refused
            else:
                messages.success(request, _("開催の要否を決定しました。委員と事務局に通知します。"))
                return redirect("circulation_decision", circulation.pk)
        # Someone may have decided meanwhile: show the page as it is now.
        circulation = Circulation.objects.select_related("committee").get(pk=circulation.pk)
    status = 200
    if refusal is not None:
        status = 403 if refusal.code == "not_decider" else 409
    return render(
        request,
        "circulation/decision/decision_page.html",
        _page_context(request, circulation, form, refusal),
        status=status,
    )


def _confirmation(
    request: HttpRequest, circulation: Circulation, form: DecisionForm, convene: bool
) -> HttpResponse:
    told = people_to_tell(circulation)
    return render(
        request,
        "circulation/decision/confirm.html",
        {
            "circulation": circulation,
            "convene": convene,
            "choice": form.cleaned_data["convene"],
            "reason": form.cleaned_data["reason"],
            "told": told,
        },
    )


def _page_context(
    request: HttpRequest,
    circulation: Circulation,
    form: DecisionForm,
    refusal: DecisionRefused | None,
) -> dict[str, Any]:
    committee = circulation.committee
    decider_role, decider = decider_of(committee)
    record = build_record(circulation, masked=False)
    is_secretariat = may_on_committee(request.user, Action.MANAGE_CIRCULATIONS, committee)
    panel = None
    if record.decision is not None and record.decision.convene:
        panel = panel_of(circulation, record.meeting, manages=is_secretariat)
    return {
        "circulation": circulation,
        "record": record,
        "meeting_panel": panel,
        "form": form,
        "refusal": refusal,
        # The reason typed before a refusal, shown back so that nothing is lost.
        "typed_reason": request.POST.get("reason", "") if refusal else "",
        "may_decide": circulation.state == Circulation.State.CLOSED
        and may_on_circulation(request.user, Action.DECIDE, circulation),
        "is_secretariat": is_secretariat,
        "may_manage_members": may_on_committee(request.user, Action.MANAGE_MEMBERS, committee),
        "decider_role_label": Role(decider_role).label,
        "decider": decider,
        "States": Circulation.State,
    }


@login_required
@require_POST
def archive(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.MANAGE_CIRCULATIONS)
    try:
        archive_circulation(circulation.pk, by=request.user)
    except ArchiveRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("書面照会を完了にしました。"))
    return redirect("circulation_decision", circulation.pk)


@login_required
@require_POST
def chair_absence(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.VIEW_CIRCULATION)
    committee_or_404(request.user, circulation.committee_id, Action.MANAGE_MEMBERS)
    absent = request.POST.get("absent") == "1"
    set_chair_absent(circulation.committee, absent, by=request.user)
    if absent:
        messages.success(request, _("会長を不在にしました。職務代理者が開催の要否を決定します。"))
    else:
        messages.success(request, _("会長の不在を解除しました。会長が開催の要否を決定します。"))
    return redirect("circulation_decision", circulation.pk)
