"""The secretariat's drafts: the committee's list, create, edit, preview, send, discard.

Views parse, authorise through portal.permissions and call one service. A form that comes
back with an error keeps everything typed and every accepted file."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from circulation.forms.base import japan_parts
from circulation.forms.drafts import (
    DraftForm,
    existing_material_formset,
    new_material_formset,
    upcoming_default_deadline,
)
from circulation.models import Circulation
from circulation.reads.listings import committee_circulations
from circulation.reads.reminders import no_reminder_fits
from circulation.services.drafts import (
    DraftConflict,
    DraftRefused,
    create_draft,
    discard_circulation,
    update_draft,
)
from circulation.services.sending import SendRefused, send_circulation
from circulation.views.member import DETAIL_TEMPLATE, page_context
from portal.models import Committee
from portal.permissions import Action, circulation_or_404, committee_or_404

FORM_TEMPLATE = "circulation/secretariat/draft_form.html"


@login_required
def committee_circulations_page(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = committee_or_404(request.user, committee_id, Action.MANAGE_CIRCULATIONS)
    groups = committee_circulations(committee)
    return render(
        request,
        "circulation/secretariat/committee_list.html",
        {"committee": committee, "groups": groups},
    )


def _count_ok(context: dict[str, Any], existing: int) -> bool:
    rows = context["rows"]
    limit = settings.KAIRAN_MAX_MATERIALS
    if existing + rows.count() > limit:
        context["materials_error"] = _("資料は1件の書面照会につき%(limit)s件までです。") % {
            "limit": limit
        }
        return False
    return True


@login_required
def circulation_create(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = committee_or_404(request.user, committee_id, Action.MANAGE_CIRCULATIONS)
    if request.method != "POST":
        day, time = japan_parts(upcoming_default_deadline())
        form = DraftForm(committee=committee, initial={"deadline_date": day, "deadline_time": time})
        context = _form_context(committee, None, form, new_material_formset(user=request.user))
        return render(request, FORM_TEMPLATE, context)
    form = DraftForm(request.POST, committee=committee)
    rows = new_material_formset(request.POST, request.FILES, user=request.user)
    context = _form_context(committee, None, form, rows)
    valid = [form.is_valid(), rows.is_valid()]
    if all(valid) and _count_ok(context, 0):
        try:
            circulation = create_draft(
                committee,
                by=request.user,
                content=form.content(),
                new_materials=rows.new_materials(first_position=1),
            )
        except DraftRefused as refused:
            form.add_field_error(None, str(refused))
        else:
            messages.success(request, _("下書きを保存しました。"))
            return redirect("circulation_edit", circulation.pk)
    rows.keep_accepted_files()
    return render(request, FORM_TEMPLATE, context)


@login_required
def circulation_edit(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.MANAGE_CIRCULATIONS)
    if circulation.is_consultation:  # edited with its number, items… on its own form
        return redirect("consultation_edit", circulation.pk)
    if circulation.state != Circulation.State.DRAFT:
        return _not_a_draft(request, circulation)
    committee = circulation.committee
    if request.method != "POST":
        form = DraftForm(committee=committee, circulation=circulation)
        existing = existing_material_formset(circulation)
        context = _form_context(committee, circulation, form, new_material_formset(
            user=request.user), existing)  # fmt: skip
        return render(request, FORM_TEMPLATE, context)
    form = DraftForm(request.POST, committee=committee, circulation=circulation)
    existing = existing_material_formset(circulation, request.POST)
    rows = new_material_formset(request.POST, request.FILES, user=request.user)
    context = _form_context(committee, circulation, form, rows, existing)
    valid = [form.is_valid(), existing.is_valid(), rows.is_valid()]
    kept = sum(1 for f in existing.forms if not f.cleaned_data.get("remove")) if all(valid) else 0
    if all(valid) and _count_ok(context, kept):
        # New materials go after the last one, as the form orders them now.
        orders = [
            f.cleaned_data["order"] if f.cleaned_data["order"] is not None else f.material.order
            for f in existing.forms
            if not f.cleaned_data["remove"] and f.material is not None
        ]
        top = max(orders, default=0)
        try:
            update_draft(
                circulation.pk,
                by=request.user,
                revision=form.cleaned_data["revision"] or 0,
                content=form.content(),
                material_edits=[f.edit() for f in existing.forms],
                new_materials=rows.new_materials(first_position=top + 1),
            )
        except DraftConflict as conflict:
            context.update(_conflict(request, committee, circulation, conflict))
        except DraftRefused as refused:
            form.add_field_error(None, str(refused))
        else:
            messages.success(request, _("下書きを保存しました。"))
            return redirect("circulation_edit", circulation.pk)
    rows.keep_accepted_files()
    return render(request, FORM_TEMPLATE, context)


def _conflict(
    request: HttpRequest, committee: Committee, circulation: Circulation, conflict: DraftConflict
) -> dict[str, Any]:
    """Keep what this editor typed, show what the other saved, and let them decide: the
    form now carries the current revision, so saving again is a conscious overwrite."""
    current = conflict.current
    data = request.POST.copy()
    data["revision"] = str(current.revision)
    form = DraftForm(data, committee=committee, circulation=circulation)
    form.is_valid()
    return {
        "form": form,
        "conflict": current,
        "conflict_recipients": list(
            current.recipients.select_related("user").values_list("user__full_name", flat=True)
        ),
        "conflict_materials": list(current.materials.filter(is_current=True)),
    }


def _form_context(
    committee: Committee,
    circulation: Circulation | None,
    form: DraftForm,
    rows: Any,
    existing: Any = None,
) -> dict[str, Any]:
    return {
        "committee": committee,
        "circulation": circulation,
        "form": form,
        "rows": rows,
        "existing": existing,
        "max_materials": settings.KAIRAN_MAX_MATERIALS,
        "max_upload_bytes": settings.KAIRAN_MAX_UPLOAD_BYTES,
        # A saved draft whose deadline leaves no time for any of the council's reminders.
        "reminder_warning": circulation is not None
        and no_reminder_fits(committee, circulation.deadline),
    }


def _not_a_draft(request: HttpRequest, circulation: Circulation) -> HttpResponse:
    if circulation.state == Circulation.State.DISCARDED:
        messages.info(request, _("この下書きは破棄されています。"))
        return redirect("committee_circulations", circulation.committee_id)
    messages.info(
        request,
        _("送付済みの書面照会は編集できません。資料の訂正と期限の延長はこちらから行えます。"),
    )
    return redirect("circulation_tracking", circulation.pk)


@login_required
def circulation_preview(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.MANAGE_CIRCULATIONS)
    if circulation.is_consultation:  # its page shows the secretariat what members will see
        return redirect("consultation_detail", circulation.pk)
    context = page_context(request, circulation, preview=True)
    context["reminder_warning"] = circulation.state == Circulation.State.DRAFT and (
        no_reminder_fits(circulation.committee, circulation.deadline)
    )
    context["preview_recipients"] = list(
        circulation.recipients.select_related("user").order_by("user__full_name")
    )
    return render(request, DETAIL_TEMPLATE, context)


@login_required
@require_POST
def circulation_send(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.MANAGE_CIRCULATIONS)
    try:
        # The service compares it under its row lock; no revision posted is no preview seen
        # (revisions start at 1).
        previewed = int(request.POST.get("revision", ""))
    except ValueError:
        previewed = 0
    try:
        send_circulation(circulation.pk, by=request.user, revision=previewed)
    except SendRefused as refused:
        messages.error(request, str(refused))
        return redirect("circulation_preview", circulation.pk)
    messages.success(request, _("送付しました。送付先の委員にお知らせのメールを送ります。"))
    return redirect("circulation_tracking", circulation.pk)


@login_required
def circulation_discard(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.MANAGE_CIRCULATIONS)
    if circulation.state != Circulation.State.DRAFT:
        return _not_a_draft(request, circulation)
    if request.method == "POST":
        try:
            discard_circulation(circulation.pk, by=request.user)
        except DraftRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, _("下書き「%(title)s」を破棄しました。") % {
                "title": circulation.title})  # fmt: skip
        return redirect("committee_circulations", circulation.committee_id)
    return render(
        request, "circulation/secretariat/discard_confirm.html", {"circulation": circulation}
    )
