"""Mail that belongs to no council (from an address nobody is registered with, to the plain
reply address, without a thread of ours): for the site's staff only (Django's is_staff or
is_superuser), never for every council's secretariat. They read it, and discard it or hand
it to the council it belongs to, whose secretariat then assigns or discards it."""

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
    discard_message,
    hand_over,
    of_no_council,
    open_attachment,
)
from circulation.models import InboundAttachment, InboundMessage
from portal.models import Committee
from portal.permissions import object_or_404
from portal.permissions_site import site_staff_or_404

_ACTION = "handle_mail_of_no_council"


class HandOverForm(forms.Form):
    committee = forms.ModelChoiceField(
        label=gettext_lazy("審議会"),
        queryset=Committee.objects.order_by("name"),
        error_messages={"required": gettext_lazy("審議会を選んでください。")},
    )


def _message(request: HttpRequest, message_id: int) -> InboundMessage:
    site_staff_or_404(request.user, object_type="circulation.inboundmessage", object_id=message_id)
    return object_or_404(request.user, of_no_council(), message_id, _ACTION)


@login_required
def staff_mail_list(request: HttpRequest) -> HttpResponse:
    site_staff_or_404(request.user)
    waiting = of_no_council().filter(state__in=InboundMessage.NEEDS_ATTENTION)
    return render(request, "circulation/inbound/staff_list.html", {"waiting": waiting})


@login_required
def staff_mail_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    message = _message(request, message_id)
    return _render_detail(request, message, HandOverForm())


def _render_detail(
    request: HttpRequest, message: InboundMessage, form: HandOverForm, status: int = 200
) -> HttpResponse:
    context = {
        "message": message,
        "full_text": parse_message(bytes(message.raw)).text,
        "attachments": message.attachments.all(),
        "form": form,
        "actionable": message.state in InboundMessage.NEEDS_ATTENTION,
    }
    return render(request, "circulation/inbound/staff_detail.html", context, status=status)


@login_required
@require_POST
def staff_mail_hand_over(request: HttpRequest, message_id: int) -> HttpResponse:
    message = _message(request, message_id)
    form = HandOverForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, message, form, status=400)
    committee = form.cleaned_data["committee"]
    try:
        hand_over(message.pk, committee=committee, by=request.user)
    except AlreadyHandled:
        messages.error(request, _("このメールは、すでにほかの人が処理しました。"))
    else:
        messages.success(
            request, _("メールを%(name)sの事務局に渡しました。") % {"name": committee.name}
        )
    return redirect("staff_mail_list")


@login_required
@require_POST
def staff_mail_discard(request: HttpRequest, message_id: int) -> HttpResponse:
    message = _message(request, message_id)
    try:
        discard_message(message.pk, committee=None, by=request.user)
    except AlreadyHandled:
        messages.error(request, _("このメールは、すでにほかの人が処理しました。"))
    else:
        messages.success(request, _("メールを破棄しました。"))
    return redirect("staff_mail_list")


@login_required
def staff_mail_attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    site_staff_or_404(
        request.user, object_type="circulation.inboundattachment", object_id=attachment_id
    )
    attachments = InboundAttachment.objects.filter(message__in=of_no_council())
    attachment = object_or_404(request.user, attachments, attachment_id, _ACTION)
    handle = open_attachment(attachment, by=request.user, committee=None)
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name,
        content_type="application/octet-stream",
    )  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    return response
