"""The secretariat's page of held and unmatched mail: look, then assign or discard."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from circulation.inbound.parsing import parse_message
from circulation.inbound.secretariat import (
    AlreadyHandled,
    assign_message,
    assignable_recipients,
    discard_message,
    needs_attention,
    open_attachment,
    recently_handled,
    suggested_reading,
    visible_to,
)
from circulation.models import InboundAttachment, InboundMessage, Reply
from circulation.services.replies import ReplyInvalid, ReplyRefused
from circulation.views.links import MEETING_CHOICES
from portal.models import Committee
from portal.permissions import Action, committee_or_404, object_or_404


class AssignForm(forms.Form):
    recipient = forms.TypedChoiceField(label=gettext_lazy("回答者"), coerce=int)
    kind = forms.ChoiceField(label=gettext_lazy("回答"), choices=Reply.Kind.choices)
    opinion = forms.CharField(label=gettext_lazy("意見"), required=False, max_length=20000)
    meeting = forms.ChoiceField(
        label=gettext_lazy("審議すべき重要事項の有無"), choices=MEETING_CHOICES, required=False
    )

    def __init__(self, *args: object, committee: Committee, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.recipients = {r.pk: r for r in assignable_recipients(committee)}
        self.fields["recipient"].choices = [
            (pk, f"{r.circulation.title} — {r.user.full_name}") for pk, r in self.recipients.items()
        ]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") == Reply.Kind.OPINION and not (data.get("opinion") or "").strip():
            self.add_error("opinion", _("「意見あり」の場合は意見を入力してください。"))
        return data


def _committee(request: HttpRequest, committee_id: int) -> Committee:
    return committee_or_404(request.user, committee_id, Action.MANAGE_CIRCULATIONS)


def _message(request: HttpRequest, committee: Committee, message_id: int) -> InboundMessage:
    messages_here = visible_to(committee)
    return object_or_404(request.user, messages_here, message_id, Action.MANAGE_CIRCULATIONS)


@login_required
def inbound_list(request: HttpRequest, committee_id: int) -> HttpResponse:
    committee = _committee(request, committee_id)
    return render(
        request,
        "circulation/inbound/list.html",
        {
            "committee": committee,
            "waiting": needs_attention(committee).select_related("circulation", "recipient__user"),
            "handled": recently_handled(committee).select_related("circulation", "recipient__user")[
                :50
            ],
        },
    )


@login_required
def inbound_detail(request: HttpRequest, committee_id: int, message_id: int) -> HttpResponse:
    committee = _committee(request, committee_id)
    message = _message(request, committee, message_id)
    return _render_detail(request, committee, message, form=_prefilled_form(committee, message))


def _prefilled_form(committee: Committee, message: InboundMessage) -> AssignForm:
    reading = suggested_reading(message)
    meeting = {True: "yes", False: "no"}.get(reading.meeting_needed, "")
    initial = {"kind": reading.kind or None, "opinion": reading.opinion,
               "meeting": meeting, "recipient": message.recipient_id}  # fmt: skip
    if message.recipient_id is None and message.sender_user_id:
        form = AssignForm(committee=committee)
        same = [pk for pk, r in form.recipients.items() if r.user_id == message.sender_user_id]
        initial["recipient"] = same[0] if len(same) == 1 else None
    return AssignForm(committee=committee, initial=initial)


def _render_detail(
    request: HttpRequest,
    committee: Committee,
    message: InboundMessage,
    *,
    form: AssignForm,
    status: int = 200,
) -> HttpResponse:
    full_text = parse_message(bytes(message.raw)).text
    return render(
        request,
        "circulation/inbound/detail.html",
        {
            "committee": committee,
            "message": message,
            "full_text": full_text,
            "attachments": message.attachments.all(),
            "form": form,
            "meeting_choices": MEETING_CHOICES,
            "kind_choices": Reply.Kind.choices,
            "actionable": message.state in InboundMessage.NEEDS_ATTENTION,
        },
        status=status,
    )


@login_required
@require_POST
def inbound_assign(request: HttpRequest, committee_id: int, message_id: int) -> HttpResponse:
    committee = _committee(request, committee_id)
    message = _message(request, committee, message_id)
    form = AssignForm(request.POST, committee=committee)
    if not form.is_valid():
        return _render_detail(request, committee, message, form=form, status=400)
    meeting = {"yes": True, "no": False}.get(form.cleaned_data.get("meeting") or "")
    try:
        assign_message(
            message.pk,
            recipient=form.recipients[form.cleaned_data["recipient"]],
            kind=form.cleaned_data["kind"],
            opinion=form.cleaned_data["opinion"],
            meeting_needed=meeting,
            by=request.user,
        )
    except AlreadyHandled:
        messages.error(request, _("このメールは、すでにほかの人が処理しました。"))
        return redirect("inbound_list", committee.pk)
    except (ReplyRefused, ReplyInvalid) as exc:
        form.add_error(None, str(exc))
        return _render_detail(request, committee, message, form=form, status=400)
    messages.success(request, _("メールを回答として記録しました。"))
    return redirect("inbound_list", committee.pk)


@login_required
@require_POST
def inbound_discard(request: HttpRequest, committee_id: int, message_id: int) -> HttpResponse:
    committee = _committee(request, committee_id)
    message = _message(request, committee, message_id)
    try:
        discard_message(message.pk, committee=committee, by=request.user)
    except AlreadyHandled:
        messages.error(request, _("このメールは、すでにほかの人が処理しました。"))
    else:
        messages.success(request, _("メールを破棄しました。"))
    return redirect("inbound_list", committee.pk)


@login_required
def inbound_attachment(request: HttpRequest, committee_id: int, attachment_id: int) -> FileResponse:
    committee = _committee(request, committee_id)
    attachments = InboundAttachment.objects.select_related("message").filter(
        message__in=visible_to(committee)
    )
    attachment = object_or_404(request.user, attachments, attachment_id, Action.MANAGE_CIRCULATIONS)
    handle = open_attachment(attachment, by=request.user, committee=committee)
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name,
        content_type="application/octet-stream",
    )  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    return response
