"""Consultation pages (諮問): the council's list, registering and editing the draft, sending,
the consultation's page (the member votes there, the implementing body answers and adds
materials), questions, and the council's rules.

Views parse, authorise through portal.permissions(_consultation) and call one service."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from circulation.forms.base import japan_parts
from circulation.forms.consultations import ConsultationForm, RulesForm, VoteForm
from circulation.forms.drafts import (
    NewMaterialForm,
    existing_material_formset,
    new_material_formset,
    upcoming_default_deadline,
)
from circulation.forms.member import QuestionForm
from circulation.models import Circulation, Consultation, ConsultationRules, Recipient
from circulation.reads.consultations import consultation_list
from circulation.reads.markdown import render_markdown
from circulation.reads.qa import qa_items
from circulation.services.consultations import (
    ConsultationRefused,
    add_material,
    next_number,
    register_consultation,
    update_consultation,
    update_consultation_rules,
)
from circulation.services.drafts import DraftConflict, DraftRefused
from circulation.services.questions import QuestionRefused, ask_question
from circulation.services.sending import SendRefused, send_circulation
from circulation.services.viewing import record_circulation_view
from circulation.services.votes import current_choices
from circulation.uploads.checks import UploadRefused
from portal.models import Role
from portal.permissions import (
    Action,
    committee_or_404,
    may_on_circulation,
    may_see_member_names,
    receipt_read_by_gate,
    recipient_id_of,
    refuse,
    roles_on,
)
from portal.permissions_consultation import (
    ConsultationAction,
    consultation_or_404,
    is_body_staff,
    may_on_consultation,
)

FORM_TEMPLATE = "circulation/consultation/form.html"
DETAIL_TEMPLATE = "circulation/consultation/detail.html"
A = ConsultationAction


# --- The council's list and rules -------------------------------------------------------------


@login_required
def consultation_list_page(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = committee_or_404(request.user, committee_id, Action.VIEW_COMMITTEE)
    roles = roles_on(request.user, committee)
    return render(
        request,
        "circulation/consultation/list.html",
        {
            "committee": committee,
            "circulations": consultation_list(request.user, committee),
            "is_secretariat": Role.SECRETARIAT in roles,
            "sits": bool(roles - {Role.IMPLEMENTING_BODY}),
        },
    )


@login_required
def consultation_rules(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = committee_or_404(request.user, committee_id, Action.MANAGE_CIRCULATIONS)
    rules = ConsultationRules.rules_of(committee)
    form = RulesForm(request.POST or None, instance=rules)
    if request.method == "POST" and form.is_valid():
        update_consultation_rules(committee, by=request.user, **form.values())
        messages.success(request, _("諮問の規則を保存しました。"))
        return redirect("consultation_rules", committee.pk)
    return render(
        request, "circulation/consultation/rules.html", {"committee": committee, "form": form}
    )


# --- Registering and editing the draft --------------------------------------------------------


def _form_context(committee: Any, circulation: Any, form: Any, rows: Any, existing: Any = None):
    return {
        "committee": committee,
        "circulation": circulation,
        "form": form,
        "rows": rows,
        "existing": existing,
        "max_materials": settings.KAIRAN_MAX_MATERIALS,
        "max_upload_bytes": settings.KAIRAN_MAX_UPLOAD_BYTES,
    }


def _service_error(form: ConsultationForm, error: Exception) -> None:
    field = getattr(error, "field", None)
    form.add_field_error(field if field in form.fields else None, str(error))


@login_required
def consultation_create(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = committee_or_404(request.user, committee_id, Action.MANAGE_CIRCULATIONS)
    if request.method != "POST":
        day, time = japan_parts(upcoming_default_deadline())
        initial = {
            "deadline_date": day,
            "deadline_time": time,
            "number": next_number(committee),
            "received_on": timezone.localdate(),
        }
        form = ConsultationForm(committee=committee, initial=initial)
        rows = new_material_formset(user=request.user)
        return render(request, FORM_TEMPLATE, _form_context(committee, None, form, rows))
    form = ConsultationForm(request.POST, committee=committee)
    rows = new_material_formset(request.POST, request.FILES, user=request.user)
    if all([form.is_valid(), rows.is_valid()]):
        try:
            circulation = register_consultation(
                committee,
                by=request.user,
                draft=form.content(),
                content=form.consultation_content(),
                new_materials=rows.new_materials(first_position=1),
            )
        except (ConsultationRefused, DraftRefused) as refused:
            _service_error(form, refused)
        else:
            messages.success(request, _("諮問を登録しました(下書き)。"))
            return redirect("consultation_detail", circulation.pk)
    rows.keep_accepted_files()
    return render(request, FORM_TEMPLATE, _form_context(committee, None, form, rows))


@login_required
def consultation_edit(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = consultation_or_404(request.user, circulation_id, A.MANAGE)
    if circulation.state != Circulation.State.DRAFT:
        messages.info(request, _("送付した諮問は編集できません。"))
        return redirect("consultation_detail", circulation.pk)
    committee = circulation.committee
    if request.method != "POST":
        form = ConsultationForm(committee=committee, circulation=circulation)
        context = _form_context(
            committee,
            circulation,
            form,
            new_material_formset(user=request.user),
            existing_material_formset(circulation),
        )
        return render(request, FORM_TEMPLATE, context)
    form = ConsultationForm(request.POST, committee=committee, circulation=circulation)
    existing = existing_material_formset(circulation, request.POST)
    rows = new_material_formset(request.POST, request.FILES, user=request.user)
    context = _form_context(committee, circulation, form, rows, existing)
    if all([form.is_valid(), existing.is_valid(), rows.is_valid()]):
        top = max((m.order for m in circulation.materials.filter(is_current=True)), default=0)
        try:
            update_consultation(
                circulation.pk,
                by=request.user,
                revision=form.cleaned_data["revision"] or 0,
                draft=form.content(),
                content=form.consultation_content(),
                material_edits=[f.edit() for f in existing.forms],
                new_materials=rows.new_materials(first_position=top + 1),
            )
        except DraftConflict as conflict:
            form.add_field_error(None, str(conflict))
            context["conflict"] = conflict.current
        except (ConsultationRefused, DraftRefused) as refused:
            _service_error(form, refused)
        else:
            messages.success(request, _("下書きを保存しました。"))
            return redirect("consultation_detail", circulation.pk)
    rows.keep_accepted_files()
    return render(request, FORM_TEMPLATE, context)


@login_required
@require_POST
def consultation_send(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = consultation_or_404(request.user, circulation_id, A.MANAGE)
    try:
        previewed = int(request.POST.get("revision", ""))
    except ValueError:
        previewed = 0
    try:
        send_circulation(circulation.pk, by=request.user, revision=previewed)
    except SendRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("送付しました。委員に賛否をお願いするメールを送ります。"))
    return redirect("consultation_detail", circulation.pk)


# --- The consultation's page ------------------------------------------------------------------


def _recipient(request: HttpRequest, circulation: Circulation) -> Recipient | None:
    read, recipient = receipt_read_by_gate(request.user, circulation)
    if read:
        return recipient
    recipient_id = recipient_id_of(request.user, circulation)
    if recipient_id is None:
        return None
    return Recipient.objects.select_related("current_reply").get(pk=recipient_id)


def page_context(
    request: HttpRequest,
    circulation: Circulation,
    *,
    vote_form: VoteForm | None = None,
    question_form: QuestionForm | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Everything the consultation's page shows to this person."""
    user = request.user
    consultation: Consultation = circulation.consultation
    items = list(consultation.items.all())
    recipient = _recipient(request, circulation)
    votes = current_choices(recipient) if recipient else {}
    may_vote = may_on_consultation(user, A.VOTE, circulation)
    accepting = may_vote and circulation.accepts_replies_at(timezone.now())
    reply = recipient.current_reply if recipient else None
    if accepting and vote_form is None:
        vote_form = VoteForm.for_votes(items, votes, reply.version if reply else 0)
    if accepting and question_form is None:
        question_form = QuestionForm()
    secretariat = Role.SECRETARIAT in roles_on(user, circulation.committee)
    names = may_see_member_names(user, circulation) or secretariat
    return {
        "circulation": circulation,
        "consultation": consultation,
        "committee": circulation.committee,
        "items": items,
        "rules": ConsultationRules.rules_of(circulation.committee),
        "reason_html": render_markdown(consultation.reason),
        "explanation_html": render_markdown(circulation.explanation),
        "materials": list(circulation.materials.filter(is_current=True)),
        "extensions": list(circulation.extensions.all()),
        "qa": qa_items(circulation, viewer=user, names_visible=names),
        "staff_ids": set(consultation.staff.values_list("pk", flat=True)),
        "recipient": recipient,
        "reply": reply,
        "votes": [(item, votes.get(item.pk)) for item in items],
        "riders": list(consultation.riders.prefetch_related("responses"))
        if consultation.is_issued
        else [],
        "seat_ended": recipient is not None and circulation.is_open and not may_vote,
        "accepting": accepting,
        "vote_form": vote_form if accepting else None,
        "question_form": question_form if accepting else None,
        "is_secretariat": secretariat,
        "is_staff": is_body_staff(user, circulation),
        "may": {action.name: may_on_consultation(user, action, circulation) for action in A},
        "may_answer": may_on_circulation(user, Action.ANSWER_QUESTION, circulation),
        "material_form": extra.pop("material_form", None)
        or NewMaterialForm(user=user, prefix="material"),
        **extra,
    }


@login_required
def consultation_detail(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = consultation_or_404(request.user, circulation_id, A.VIEW)
    record_circulation_view(circulation, user=request.user, page="consultation")
    return render(request, DETAIL_TEMPLATE, page_context(request, circulation))


@require_POST
def consultation_ask(request: HttpRequest, circulation_id: int) -> HttpResponse:
    if not request.user.is_authenticated:  # the session ended: log in, back to the page
        return redirect_to_login(reverse("consultation_detail", args=[circulation_id]) + "#qa")
    circulation = consultation_or_404(request.user, circulation_id, A.VIEW)
    if recipient_id_of(request.user, circulation) is None:  # sees it, was not asked
        refuse(request.user, A.VOTE, 403, obj=circulation)
    form = QuestionForm(request.POST)
    if form.is_valid():
        try:
            ask_question(circulation.pk, by=request.user, text=form.cleaned_data["text"])
        except QuestionRefused as refused:
            form.add_field_error("text", str(refused))
        else:
            messages.success(request, _("質問を送信しました。回答があるとメールでお知らせします。"))
            return redirect(reverse("consultation_detail", args=[circulation.pk]) + "#qa")
    context = page_context(request, circulation, question_form=form)
    if not context["accepting"]:  # the form is gone: keep the text on the page
        context["question_refused"] = form.errors.get("text")
        context["typed_question"] = form.data.get("text", "")
    return render(request, DETAIL_TEMPLATE, context, status=400)


@login_required
@require_POST
def consultation_add_material(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = consultation_or_404(request.user, circulation_id, A.ADD_MATERIAL)
    form = NewMaterialForm(request.POST, request.FILES, user=request.user, prefix="material")
    if form.is_valid() and form.has_file:
        try:
            material = add_material(circulation.pk, by=request.user, new=form.new_material(1))
        except (ConsultationRefused, UploadRefused) as refused:
            form.add_field_error("file" if "file" in form.fields else None, str(refused))
        else:
            messages.success(
                request, _("資料「%(title)s」を追加しました。") % {"title": material.title}
            )
            return redirect(reverse("consultation_detail", args=[circulation.pk]) + "#materials")
    elif form.is_valid():
        form.add_field_error("file", _("資料ファイルを選んでください。"))
    form.keep()
    context = page_context(request, circulation, material_form=form)
    return render(request, DETAIL_TEMPLATE, context, status=400)
