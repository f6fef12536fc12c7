"""The member's side: the circulation page, the reply (回答) and questions (質問する).

The page template is also the secretariat's preview (`preview=True`: no reply form)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from circulation.forms.member import QuestionForm, ReplyForm
from circulation.models import Circulation, DeadlineExtension, Decision, Recipient, Reply
from circulation.reads.meetings import meeting_panel
from circulation.reads.page_parts import explanation_html, materials_html, qa_html
from circulation.services.questions import QuestionRefused, ask_question
from circulation.services.replies import (
    TERM_ENDED,
    ReplyConflict,
    ReplyInvalid,
    ReplyRefused,
    submit_reply,
)
from circulation.services.viewing import record_circulation_view
from circulation.templatetags.kairan import format_jst
from circulation.views import unsent as unsent_input
from portal.middleware import received_at
from portal.models import Role, User
from portal.permissions import (
    Action,
    circulation_or_404,
    may_on_circulation,
    may_see_member_names,
    receipt_read_by_gate,
    recipient_id_of,
    refuse,
    roles_on,
)

DETAIL_TEMPLATE = "circulation/member/circulation_detail.html"
SESSION_ENDED = {
    unsent_input.REPLY: gettext_lazy(
        "ログインの有効期限が切れたため、回答はまだ送信されていません。"
        "ログインすると、入力した内容を確認して送信できます。"
    ),
    unsent_input.QUESTION: gettext_lazy(
        "ログインの有効期限が切れたため、質問はまだ送信されていません。"
        "ログインすると、入力した内容を確認して送信できます。"
    ),
}


def page_context(
    request: HttpRequest,
    circulation: Circulation,
    *,
    preview: bool = False,
    reply_form: ReplyForm | None = None,
    question_form: QuestionForm | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Everything the circulation page shows to this viewer."""
    user = request.user
    recipient = None if preview else _recipient_with_reply(user, circulation)
    reply = recipient.current_reply if recipient else None
    # A recipient whose term has ended reads on, but may no longer reply or ask.
    seat_ended = (
        recipient is not None
        and circulation.is_open
        and not may_on_circulation(user, Action.REPLY, circulation)
    )
    accepting = (
        recipient is not None and not seat_ended and circulation.accepts_replies_at(timezone.now())
    )
    if accepting and reply_form is None:
        reply_form = ReplyForm.for_reply(reply)
    if accepting and question_form is None:
        question_form = QuestionForm()
    secretariat = Role.SECRETARIAT in roles_on(user, circulation.committee)
    decision = None if preview else decision_of(circulation)
    return {
        "circulation": circulation,
        "committee": circulation.committee,
        "explanation_html": explanation_html(circulation),
        "materials_html": materials_html(circulation),
        "extensions": extensions_of(circulation),
        "preview": preview,
        "recipient": recipient,
        "reply": reply,
        "accepting": accepting,
        "seat_ended": seat_ended,
        "reply_form": reply_form if accepting else None,
        "question_form": question_form if accepting else None,
        # Signed: what this person types is kept for them alone if their session ends.
        "unsent_for": unsent_input.owner_mark(user, circulation) if accepting else "",
        # The committee's setting promises names to the secretariat, chair and acting chair.
        "qa_html": qa_html(
            circulation,
            viewer=user,
            names_visible=not preview and may_see_member_names(user, circulation),
        ),
        "is_secretariat": secretariat and not preview,
        "may_answer": not preview and may_on_circulation(user, Action.ANSWER_QUESTION, circulation),
        "may_decide": not preview and may_on_circulation(user, Action.DECIDE, circulation),
        "decision": decision,
        "meeting_panel": meeting_panel(circulation, decision, manages=secretariat),
        "may_view_record": not preview
        and may_on_circulation(user, Action.VIEW_DECISION_RECORD, circulation),
        **extra,
    }


def _recipient_with_reply(user: User, circulation: Circulation) -> Recipient | None:
    """The person's Recipient row with its current reply: as the gate read it with the
    circulation (no query), else by its id. (A sent circulation's recipients are frozen,
    and only the secretariat sees drafts.)"""
    read, recipient = receipt_read_by_gate(user, circulation)
    if read:
        return recipient
    recipient_id = recipient_id_of(user, circulation)
    if recipient_id is None:
        return None
    recipient = Recipient.objects.select_related("current_reply").get(pk=recipient_id)
    recipient.circulation = circulation  # the gate's: no second read if a template asks
    return recipient


def decision_of(circulation: Circulation) -> Decision | None:
    """The chair's decision. Only deciding makes a circulation 決定済み (and only from there
    is it archived), so before that there is none to read."""
    if circulation.state not in (Circulation.State.DECIDED, Circulation.State.ARCHIVED):
        return None
    return Decision.objects.filter(circulation=circulation).first()


def extensions_of(circulation: Circulation) -> list[DeadlineExtension]:
    """The deadline's extensions, oldest first. Every extension bumps deadline_version, so a
    circulation still on its first deadline has none (and costs no query)."""
    if circulation.deadline_version <= 1:
        return []
    return list(circulation.extensions.select_related("extended_by"))


@login_required
def circulation_detail(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.VIEW_CIRCULATION)
    if circulation.is_consultation:  # its own page (mails of both kinds link here)
        return redirect("consultation_detail", circulation.pk)
    record_circulation_view(circulation, user=request.user, page="member")
    unsent = unsent_input.take(request, circulation.pk)
    if unsent:
        return render(request, DETAIL_TEMPLATE, _unsent_page_context(request, circulation, unsent))
    return render(request, DETAIL_TEMPLATE, page_context(request, circulation))


def _unsent_page_context(
    request: HttpRequest, circulation: Circulation, unsent: dict[str, dict[str, str]]
) -> dict[str, Any]:
    """The page with the forms as the member left them when their session ended (once):
    filled in and not sent; after the deadline, the text shown back instead."""
    forms: dict[str, Any] = {}
    if typed := unsent.get(unsent_input.REPLY):
        base = typed["base_version"] if typed["base_version"].isdigit() else "0"
        forms["reply_form"] = ReplyForm(initial={**typed, "base_version": base})
    if (typed := unsent.get(unsent_input.QUESTION)) is not None:
        forms["question_form"] = QuestionForm(initial=typed)
    context = page_context(request, circulation, **forms)
    if context["accepting"]:
        context["unsent_reply"] = unsent_input.REPLY in unsent
        context["unsent_question"] = unsent_input.QUESTION in unsent
        return context
    if typed := unsent.get(unsent_input.REPLY):
        context["refused_message"] = _not_accepting_message(context)
        context["typed"] = {"opinion": typed["opinion"]}
    if typed := unsent.get(unsent_input.QUESTION):
        context["question_refused"] = [_not_accepting_message(context, question=True)]
        context["typed_question"] = typed["text"]
    return context


def _not_accepting_message(context: dict[str, Any], *, question: bool = False) -> str:
    """Why the page (`page_context`) offers no form to this recipient."""
    if context["seat_ended"]:
        if question:
            return _("任期が終了しているため、質問は受け付けられません。")
        return str(TERM_ENDED)
    return _("回答期限(%(deadline)s)を過ぎたため、回答を受け付けられません。") % {
        "deadline": format_jst(context["circulation"].deadline)
    }


def _session_ended(request: HttpRequest, circulation_id: int, kind: str) -> HttpResponse:
    """A post after the session ended: nothing is recorded (nobody is logged in); what was
    typed is kept for its author (unsent_input.py), who logs in and comes back to the form."""
    anchor = "#reply" if kind == unsent_input.REPLY else "#qa"
    if unsent_input.keep(request, circulation_id, kind):
        messages.info(request, SESSION_ENDED[kind])  # on the login page
    return redirect_to_login(reverse("circulation_detail", args=[circulation_id]) + anchor)


def _recipient_or_403(request: HttpRequest, circulation: Circulation) -> Recipient:
    recipient = _recipient_with_reply(request.user, circulation)
    if recipient is None:
        # sees the circulation (secretariat, implementing body), not asked
        refuse(request.user, Action.REPLY, 403, obj=circulation)
    return recipient


def _recipient_ref_or_403(request: HttpRequest, circulation: Circulation) -> Recipient:
    """The person's Recipient row by its id alone (read with the circulation by the gate),
    for services that lock and read the row again themselves."""
    recipient_id = recipient_id_of(request.user, circulation)
    if recipient_id is None:
        refuse(request.user, Action.REPLY, 403, obj=circulation)
    return Recipient(pk=recipient_id, circulation=circulation, user=request.user)


@require_http_methods(["GET", "HEAD", "POST"])
def circulation_reply(request: HttpRequest, circulation_id: int) -> HttpResponse:
    if request.method != "POST":
        # Where a browser lands after logging in with the form's address as `next`.
        return redirect(reverse("circulation_detail", args=[circulation_id]) + "#reply")
    if not request.user.is_authenticated:
        return _session_ended(request, circulation_id, unsent_input.REPLY)
    # Viewing is enough to post: the deadline is the service's to refuse (and to log), so
    # a late member still sees what they typed.
    circulation = circulation_or_404(request.user, circulation_id, Action.VIEW_CIRCULATION)
    recipient = _recipient_ref_or_403(request, circulation)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _reply_page(request, circulation, form)
    try:
        submit_reply(
            recipient=recipient,
            channel=Reply.Channel.WEB,
            submitted_by=request.user,
            received_at=received_at(request),
            **form.reply_arguments(),
        )
    except ReplyConflict as conflict:
        current = conflict.current
        return _reply_page(
            request,
            circulation,
            form.rebased(current.version if current else 0),
            conflict_reply=current,
        )
    except ReplyRefused as refused:
        return _reply_page(
            request, circulation, None, refused_message=str(refused), typed=form.cleaned_data
        )
    except ReplyInvalid as invalid:
        field = "opinion" if form.cleaned_data["kind"] == Reply.Kind.OPINION else "kind"
        form.add_field_error(field, str(invalid))
        return _reply_page(request, circulation, form)
    return redirect("circulation_reply_done", circulation.pk)


def _reply_page(
    request: HttpRequest, circulation: Circulation, form: ReplyForm | None, **extra: Any
) -> HttpResponse:
    context = page_context(request, circulation, reply_form=form, **extra)
    if form is not None and not context["accepting"]:
        # Incomplete *and* too late: the form is gone, so say why and show what was typed.
        context["refused_message"] = _not_accepting_message(context)
        context["typed"] = {"opinion": form.data.get("opinion", "")}
    return render(request, DETAIL_TEMPLATE, context)


@login_required
def circulation_reply_done(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.VIEW_CIRCULATION)
    recipient = _recipient_or_403(request, circulation)
    reply = recipient.current_reply
    if reply is None:
        return redirect("circulation_detail", circulation.pk)
    return render(
        request,
        "circulation/member/reply_done.html",
        {"circulation": circulation, "reply": reply, "recipient": recipient},
    )


@require_http_methods(["GET", "HEAD", "POST"])
def question_ask(request: HttpRequest, circulation_id: int) -> HttpResponse:
    if request.method != "POST":
        # Where a browser lands after logging in with the form's address as `next`.
        return redirect(reverse("circulation_detail", args=[circulation_id]) + "#qa")
    if not request.user.is_authenticated:
        return _session_ended(request, circulation_id, unsent_input.QUESTION)
    circulation = circulation_or_404(request.user, circulation_id, Action.VIEW_CIRCULATION)
    if recipient_id_of(request.user, circulation) is None:
        refuse(request.user, Action.REPLY, 403, obj=circulation)
    form = QuestionForm(request.POST)
    if form.is_valid():
        try:
            ask_question(circulation.pk, by=request.user, text=form.cleaned_data["text"])
        except QuestionRefused as refused:
            form.add_field_error("text", str(refused))
        else:
            messages.success(
                request, _("質問を送信しました。事務局から回答があるとメールでお知らせします。")
            )
            return redirect(reverse("circulation_detail", args=[circulation.pk]) + "#qa")
    context = page_context(request, circulation, question_form=form)
    if not context["accepting"]:
        # The form is no longer shown after the deadline: keep the text on the page.
        context["question_refused"] = form.errors.get("text")
        context["typed_question"] = form.data.get("text", "")
    return render(request, DETAIL_TEMPLATE, context)
