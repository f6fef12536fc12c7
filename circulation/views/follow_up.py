"""The secretariat following a circulation up: 「この書面照会を複製」, 「未回答の委員に督促する」,
the tracking table as CSV or .xlsx, and the mail Kairan queued for one recipient."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from circulation.models import Recipient
from circulation.reads.recipient_mail import mail_of
from circulation.services.duplicate import DuplicateRefused, duplicate_circulation
from circulation.services.remind_now import RemindRefused, remind_now
from circulation.services.tracking_export import XLSX_TYPE, export_tracking
from portal.permissions import Action, circulation_or_404, object_or_404


class DuplicateForm(forms.Form):
    with_materials = forms.BooleanField(
        label=gettext_lazy("資料も複製する"),
        required=False,
        initial=True,
        help_text=gettext_lazy("外すと、資料のない下書きになります。資料は下書きで追加できます。"),
    )


@login_required
def circulation_duplicate(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.MANAGE_CIRCULATIONS)
    form = DuplicateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            done = duplicate_circulation(
                circulation.pk, by=request.user, with_materials=form.cleaned_data["with_materials"]
            )
        except DuplicateRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, _("複製して下書きを作りました。内容を確認してください。"))
            if done.left_out:
                messages.info(
                    request,
                    _("任期が終了した次の人は送付先に入れていません: %(names)s")
                    % {"names": "、".join(done.left_out)},
                )
            return redirect("circulation_edit", done.draft.pk)
    return render(
        request,
        "circulation/secretariat/duplicate.html",
        {"circulation": circulation, "form": form},
    )


@login_required
@require_POST
def circulation_remind_now(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.MANAGE_CIRCULATIONS)
    try:
        sent = remind_now(circulation.pk, by=request.user)
    except RemindRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(
            request,
            _("未回答の委員%(count)s人に督促のメールを送ります。") % {"count": sent.recipients},
        )
    return redirect("circulation_tracking", circulation.pk)


@login_required
def circulation_tracking_download(
    request: HttpRequest, circulation_id: int, fmt: str
) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.TRACK_CIRCULATION)
    data = export_tracking(circulation, by=request.user, fmt=fmt)
    content_type = "text/csv; charset=utf-8" if fmt == "csv" else XLSX_TYPE
    response = HttpResponse(data, content_type=content_type)
    name = f"tracking-{circulation.pk}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def circulation_recipient_mail(
    request: HttpRequest, circulation_id: int, recipient_id: int
) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.TRACK_CIRCULATION)
    recipients = Recipient.objects.filter(circulation=circulation).select_related("user")
    recipient = object_or_404(request.user, recipients, recipient_id, Action.TRACK_CIRCULATION)
    return render(
        request,
        "circulation/secretariat/recipient_mail.html",
        {
            "circulation": circulation,
            "recipient": recipient,
            "mails": mail_of(circulation, recipient),
        },
    )
