"""The one-click links of the notice and reminders, and the secretariat's page to revoke them.

A GET never changes anything (mail scanners prefetch links): 「意見なし」 opens a confirmation
page that asks the meeting question (審議すべき重要事項の有無, required as on the web form and
the 「回答する」 form) and has one button, and only its POST records the reply. 「回答する」
opens a reply form authorised by the token (or the circulation page when the member is
logged in). A link opened by someone logged in as another person is refused, and every
refusal is logged.

`reply_links(recipient)` (from circulation.mail.tokens, re-exported here) gives the URLs and the
Reply-To address for any mail that should carry them (the notice; reminders).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from circulation.mail.material_tokens import material_links
from circulation.mail.tokens import (
    Purpose,
    TokenData,
    TokenRefused,
    check_token,
    record_refused_link,
    reply_links,
    revoke_tokens,
)
from circulation.models import Recipient, Reply
from circulation.reads.markdown import render_markdown
from circulation.services.link_replies import reply_by_link, reply_no_opinion_by_link
from circulation.services.replies import ReplyConflict, ReplyInvalid, ReplyRefused, judged_moment
from portal.middleware import received_at
from portal.permissions import Action, circulation_or_404, object_or_404

__all__ = ["circulation_links", "reply_link", "reply_links", "revoke_links"]

_STATUS = {
    "invalid": 404,
    "expired": 410,
    "revoked": 410,
    "used": 409,
    "other_user": 403,
    "term_ended": 403,
}
# The secretariat recording a held mail may leave the question unanswered (the mail did).
MEETING_CHOICES = [
    ("", gettext_lazy("選ばない")),
    ("yes", gettext_lazy("審議が必要")),
    ("no", gettext_lazy("審議は不要")),
]
# A member answering asks it as the web form does: one of the two, required.
MEMBER_MEETING_CHOICES = MEETING_CHOICES[1:]
MEETING_REQUIRED = gettext_lazy("「審議が必要」か「審議は不要」を選んでください。")


def meeting_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=gettext_lazy("審議すべき重要事項の有無"),
        choices=MEMBER_MEETING_CHOICES,
        error_messages={"required": MEETING_REQUIRED, "invalid_choice": MEETING_REQUIRED},
    )


class NoOpinionForm(forms.Form):
    meeting = meeting_field()

    def meeting_needed(self) -> bool:
        return self.cleaned_data["meeting"] == "yes"


class LinkReplyForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("回答"), choices=Reply.Kind.choices)
    opinion = forms.CharField(label=gettext_lazy("意見"), required=False, max_length=20000)
    meeting = meeting_field()
    base_version = forms.IntegerField(min_value=0)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") == Reply.Kind.OPINION and not (data.get("opinion") or "").strip():
            self.add_error("opinion", _("「意見あり」の場合は意見を入力してください。"))
        return data

    def meeting_needed(self) -> bool:
        return self.cleaned_data["meeting"] == "yes"


@require_http_methods(["GET", "HEAD", "POST"])
def reply_link(request: HttpRequest, token: str) -> HttpResponse:
    # Judged, like the service judges the reply, by when the request arrived (bounded).
    moment = judged_moment(received_at(request), timezone.now())
    try:
        data, recipient = check_token(
            token, purposes=(Purpose.NO_OPINION, Purpose.REPLY), now=moment
        )
    except TokenRefused as refused:
        return _refuse(request, refused.reason, refused.recipient)
    if request.user.is_authenticated and request.user.pk != recipient.user_id:
        return _refuse(request, "other_user", recipient)
    if data.purpose == Purpose.NO_OPINION:
        return _no_opinion(request, recipient, data)
    return _reply_form(request, recipient)


def _no_opinion(request: HttpRequest, recipient: Recipient, data: TokenData) -> HttpResponse:
    context = _page_context(recipient)
    if request.method != "POST":  # GET or HEAD: show, change nothing
        context["form"] = NoOpinionForm(initial=_initial(recipient.current_reply))
        return render(request, "circulation/links/confirm_no_opinion.html", context)
    form = NoOpinionForm(request.POST)
    if not form.is_valid():
        context["form"] = form
        return render(request, "circulation/links/confirm_no_opinion.html", context, status=400)
    by = request.user if request.user.is_authenticated else None
    try:
        reply = reply_no_opinion_by_link(
            recipient,
            data,
            by=by,
            meeting_needed=form.meeting_needed(),
            received_at=received_at(request),
        )
    except ReplyConflict:
        return _refuse(request, "used", recipient)
    except ReplyRefused as refused:  # the deadline or the term ended since check_token
        return _refuse(request, "term_ended" if refused.reason == "term_ended" else "expired",
                       recipient)  # fmt: skip
    return _done(request, recipient, reply)


def _reply_form(request: HttpRequest, recipient: Recipient) -> HttpResponse:
    if request.user.is_authenticated and request.method != "POST":
        return redirect("circulation_detail", recipient.circulation_id)
    current = recipient.current_reply
    if request.method != "POST":
        form = LinkReplyForm(initial=_initial(current))
        return _render_form(request, recipient, form)
    form = LinkReplyForm(request.POST)
    if not form.is_valid():
        return _render_form(request, recipient, form, status=400)
    try:
        reply = reply_by_link(
            recipient,
            kind=form.cleaned_data["kind"],
            opinion=form.cleaned_data["opinion"],
            meeting_needed=form.meeting_needed(),
            base_version=form.cleaned_data["base_version"],
            by=request.user if request.user.is_authenticated else None,
            received_at=received_at(request),
        )
    except ReplyInvalid as exc:
        form.add_error(None, str(exc))
        return _render_form(request, recipient, form, status=400)
    except ReplyConflict as conflict:
        # Both are shown; the member's text stays in the form, now based on the newer reply.
        data = request.POST.copy()
        data["base_version"] = str(conflict.current.version if conflict.current else 0)
        form = LinkReplyForm(data)
        form.is_valid()
        return _render_form(request, recipient, form, conflict=conflict.current, status=409)
    except ReplyRefused as exc:
        form.add_error(None, str(exc))
        return _render_form(request, recipient, form, status=403)
    return _done(request, recipient, reply)


def _initial(current: Reply | None) -> dict:
    if current is None:
        return {"base_version": 0}
    meeting = {True: "yes", False: "no"}.get(current.meeting_needed, "")
    return {"kind": current.kind, "opinion": current.opinion, "meeting": meeting,
            "base_version": current.version}  # fmt: skip


def _render_form(
    request: HttpRequest,
    recipient: Recipient,
    form: LinkReplyForm,
    *,
    conflict: Reply | None = None,
    status: int = 200,
) -> HttpResponse:
    context = _page_context(recipient)
    context.update({"form": form, "conflict": conflict,
                    "meeting_choices": MEMBER_MEETING_CHOICES,
                    "kind_choices": Reply.Kind.choices})  # fmt: skip
    return render(request, "circulation/links/reply_form.html", context, status=status)


def _done(request: HttpRequest, recipient: Recipient, reply: Reply) -> HttpResponse:
    context = _page_context(recipient)
    context["reply"] = reply
    context["change_url"] = reply_links(recipient)["reply"]
    return render(request, "circulation/links/done.html", context)


def _refuse(request: HttpRequest, reason: str, recipient: Recipient | None) -> HttpResponse:
    record_refused_link(
        reason=reason, recipient=recipient, user=request.user, method=request.method or ""
    )
    context = {"reason": reason, "circulation": recipient.circulation if recipient else None}
    return render(request, "circulation/links/refused.html", context, status=_STATUS[reason])


def _page_context(recipient: Recipient) -> dict:
    circulation = recipient.circulation
    materials = list(circulation.materials.filter(is_current=True))
    return {
        "recipient": recipient,
        "circulation": circulation,
        "explanation_html": render_markdown(circulation.explanation),
        "materials": materials,
        # The token stands for the member: the materials open without logging in too.
        "material_links": material_links(recipient, materials),
        "current": recipient.current_reply,
        "meeting_choices": MEMBER_MEETING_CHOICES,
    }


# --- The secretariat: see and revoke each recipient's links ---------------------------------


@login_required
def circulation_links(request: HttpRequest, circulation_id: int) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.MANAGE_CIRCULATIONS)
    recipients = circulation.recipients.select_related("user", "current_reply")
    return render(
        request,
        "circulation/links/tokens.html",
        {"circulation": circulation, "recipients": recipients},
    )


@login_required
@require_POST
def revoke_links(request: HttpRequest, circulation_id: int, recipient_id: int) -> HttpResponse:
    circulation = circulation_or_404(request.user, circulation_id, Action.MANAGE_CIRCULATIONS)
    recipients = Recipient.objects.filter(circulation=circulation)
    recipient = object_or_404(request.user, recipients, recipient_id, Action.MANAGE_CIRCULATIONS)
    revoke_tokens(recipient.pk, by=request.user, now=timezone.now())
    messages.success(
        request,
        _("%(name)s 様のリンクと返信用アドレスを無効にしました。") % {"name": recipient.user},
    )
    return redirect("circulation_links", circulation.pk)
