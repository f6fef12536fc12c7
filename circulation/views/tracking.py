"""After sending: the tracking page, deadline extension, material correction, and the
questions page where the secretariat or the implementing body answers."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from circulation.forms.base import japan_parts
from circulation.forms.secretariat import AnswerForm, CorrectMaterialForm, ExtendDeadlineForm
from circulation.models import Circulation, Material, Question
from circulation.reads.page_parts import (
    tracking_materials,
    tracking_qa_html,
    tracking_rows_html,
)
from circulation.reads.qa import QAItem, qa_items
from circulation.reads.reminders import remind_now_state
from circulation.reads.tracking import tracking
from circulation.services.deadlines import ExtensionRefused, extend_deadline
from circulation.services.materials import CorrectionRefused, correct_material
from circulation.services.questions import QuestionRefused, answer_question
from circulation.services.viewing import record_circulation_view
from circulation.views.member import extensions_of
from portal.models import Role
from portal.permissions import Action, circulation_or_404, object_or_404, roles_on

_RETURN_TO = {"tracking": "circulation_tracking", "questions": "circulation_questions"}


def _with_answer_forms(
    items: list[QAItem], bound: tuple[int, AnswerForm] | None = None, typed: Any = None
) -> list[QAItem]:
    """An answer form on each unanswered question: `bound` the one just posted (with its
    errors); the others keep what was typed in them (`typed`: the POST, which carries every
    answer field of the page's one form)."""
    for item in items:
        if item.answer is None:
            prefix = f"answer-{item.question.pk}"
            if bound and bound[0] == item.question.pk:
                item.form = bound[1]
                continue
            text = typed.get(f"{prefix}-text", "") if typed is not None else ""
            item.form = AnswerForm(prefix=prefix, initial={"text": text} if text else None)
    return items


def _return_to(request: HttpRequest) -> str:
    """The page an answer came from (a key of _RETURN_TO): the questions page by default."""
    posted = request.POST.get("return_to", "")
    return posted if posted in _RETURN_TO else "questions"


def _any_open(items: list[QAItem]) -> bool:
    return any(item.answer is None for item in items)


@login_required
def circulation_tracking(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.TRACK_CIRCULATION)
    if circulation.state == Circulation.State.DRAFT:
        return redirect("circulation_edit", circulation.pk)
    record_circulation_view(circulation, user=request.user, page="tracking")
    materials = tracking_materials(circulation)
    state = tracking(
        circulation,
        current_materials=materials.current,
        show=request.GET.get("show"),
        page=request.GET.get("page"),
    )
    # The tracking page is the secretariat's: who asked and who answered are named.
    items = qa_items(circulation, viewer=request.user, names_visible=True, answerers=True)
    return render(
        request,
        "circulation/secretariat/tracking.html",
        {
            "circulation": circulation,
            "committee": circulation.committee,
            "tracking": state,
            # Cached (page_parts.py): the rows by what they show, the materials
            # by the content version.
            "tracking_rows": tracking_rows_html(circulation, state),
            "tracking_materials": materials.html,
            # Kept rendered (page_parts.py); its one form with this session's token is not.
            "qa_html": tracking_qa_html(circulation, items, _with_answer_forms),
            "qa_open": _any_open(items),
            "extensions": extensions_of(circulation),
            "remind": remind_now_state(circulation, any_sent=state.reminded),
        },
    )


@login_required
def circulation_extend(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.MANAGE_CIRCULATIONS)
    if request.method == "POST":
        form = ExtendDeadlineForm(request.POST)
        if form.is_valid():
            try:
                extend_deadline(
                    circulation.pk,
                    by=request.user,
                    new_deadline=form.cleaned_data["deadline"],
                    reason=form.cleaned_data["reason"],
                )
            except ExtensionRefused as refused:
                form.add_field_error("deadline_date", str(refused))
            else:
                messages.success(
                    request, _("回答期限を延長し、送付先の委員全員にお知らせしました。")
                )
                return redirect("circulation_tracking", circulation.pk)
    else:
        day, time = japan_parts(circulation.deadline)
        form = ExtendDeadlineForm(initial={"deadline_date": day, "deadline_time": time})
    return render(
        request,
        "circulation/secretariat/extend.html",
        {"circulation": circulation, "form": form},
    )


@login_required
def material_correct(request: HttpRequest, circulation_id: int, material_id: int) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.MANAGE_CIRCULATIONS)
    materials = Material.objects.filter(circulation=circulation)
    material = object_or_404(request.user, materials, material_id, Action.MANAGE_CIRCULATIONS)
    if request.method == "POST":
        form = CorrectMaterialForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            try:
                new = correct_material(
                    material.pk,
                    by=request.user,
                    upload=form.upload(),
                    title=form.cleaned_data["title"],
                    change_note=form.cleaned_data["change_note"],
                )
            except CorrectionRefused as refused:
                form.add_field_error(None, str(refused))
            else:
                messages.success(
                    request,
                    _("「%(title)s」を第%(version)s版に訂正しました。")
                    % {"title": new.title, "version": new.version},
                )
                return redirect("circulation_tracking", circulation.pk)
        form.keep()
    else:
        form = CorrectMaterialForm(initial={"title": material.title}, user=request.user)
    return render(
        request,
        "circulation/secretariat/correct_material.html",
        {"circulation": circulation, "material": material, "form": form},
    )


def _questions_page(
    request: HttpRequest,
    circulation: Circulation,
    bound: tuple[int, AnswerForm] | None = None,
) -> HttpResponse:
    secretariat = Role.SECRETARIAT in roles_on(request.user, circulation.committee)
    items = qa_items(circulation, viewer=request.user, names_visible=secretariat, answerers=True)
    context: dict[str, Any] = {
        "circulation": circulation,
        "qa": _with_answer_forms(items, bound, request.POST if bound else None),
        "qa_open": _any_open(items),
        "is_secretariat": secretariat,
        # A failed answer from the tracking page comes back here; the next one goes back there.
        "return_to": _return_to(request) if bound else "questions",
    }
    return render(request, "circulation/secretariat/questions.html", context)


@login_required
def circulation_questions(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.ANSWER_QUESTION)
    return _questions_page(request, circulation)


@login_required
@require_POST
def question_answer(request: HttpRequest, circulation_id: int, question_id: int) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.ANSWER_QUESTION)
    questions = Question.objects.filter(circulation=circulation)
    question = object_or_404(request.user, questions, question_id, Action.ANSWER_QUESTION)
    form = AnswerForm(request.POST, prefix=f"answer-{question.pk}")
    if form.is_valid():
        try:
            answer_question(question.pk, by=request.user, text=form.cleaned_data["text"])
        except QuestionRefused as refused:
            form.add_field_error("text", str(refused))
        else:
            messages.success(request, _("回答を登録し、送付先の委員全員にお知らせしました。"))
            return redirect(_RETURN_TO[_return_to(request)], circulation.pk)
    return _questions_page(request, circulation, bound=(question.pk, form))
