"""Votes on a consultation (書面による議事): the member's form on the page, the one-click link
per item (a confirmation page first: a GET changes nothing, mail scanners prefetch links),
and the secretariat recording a vote held in a mail for the member."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from circulation.forms.consultations import VoteForm
from circulation.mail.tokens import Purpose, TokenRefused, check_token, record_refused_link
from circulation.models import (
    Circulation,
    ConsultationItem,
    InboundMessage,
    Recipient,
    Reply,
    Vote,
)
from circulation.services.replies import ReplyConflict, ReplyInvalid, ReplyRefused
from circulation.services.votes import (
    AlreadyHandled,
    current_choices,
    record_vote_for,
    submit_votes,
    vote_one_item,
)
from circulation.views.consultations import DETAIL_TEMPLATE, page_context
from portal.permissions import object_or_404, recipient_id_of, refuse
from portal.permissions_consultation import ConsultationAction, consultation_or_404

A = ConsultationAction


def _items(circulation: Circulation) -> list[ConsultationItem]:
    return list(ConsultationItem.objects.filter(consultation_id=circulation.pk))


@require_POST
def consultation_vote(request: HttpRequest, circulation_id: int) -> HttpResponse:
    if not request.user.is_authenticated:  # the session ended: log in, back to the page
        return redirect_to_login(reverse("consultation_detail", args=[circulation_id]) + "#vote")
    # Seeing the consultation is enough to post: the deadline and the seat are the reply
    # service's to refuse (and to log), so that a late member sees what they typed.
    circulation = consultation_or_404(request.user, circulation_id, A.VIEW)
    recipient_id = recipient_id_of(request.user, circulation)
    if recipient_id is None:
        refuse(request.user, A.VOTE, 403, obj=circulation)
    recipient = Recipient(pk=recipient_id, circulation=circulation, user=request.user)
    form = VoteForm(request.POST, items=_items(circulation))
    if form.is_valid():
        try:
            submit_votes(
                recipient=recipient,
                choices=form.choices(),
                channel=Reply.Channel.WEB,
                submitted_by=request.user,
                base_version=form.cleaned_data["base_version"],
            )
        except ReplyConflict as conflict:
            current = conflict.current
            context = page_context(
                request,
                circulation,
                vote_form=form.rebased(current.version if current else 0),
                conflict=True,
            )
            return render(request, DETAIL_TEMPLATE, context, status=409)
        except ReplyRefused as refused:
            context = page_context(request, circulation)
            context.update(refused_message=str(refused), typed=_typed(form))
            return render(request, DETAIL_TEMPLATE, context, status=403)
        except ReplyInvalid as invalid:
            form.add_field_error(None, str(invalid))
        else:
            messages.success(request, _("賛否を記録しました。回答期限までは何度でも変更できます。"))
            return redirect(reverse("consultation_detail", args=[circulation.pk]) + "#vote")
    context = page_context(request, circulation, vote_form=form)
    if not context["accepting"]:
        context.update(
            refused_message=_("回答期限を過ぎたため、回答を受け付けられません。"),
            typed=_typed(form),
        )
    return render(request, DETAIL_TEMPLATE, context, status=400)


def _typed(form: VoteForm) -> list[tuple[ConsultationItem, str, str]]:
    """What the member typed per item, shown back when the vote was refused."""
    data = form.data
    typed = []
    for item in form.items:
        opinion = data.get(f"opinion_{item.pk}", "")
        rider = data.get(f"rider_{item.pk}", "")
        if opinion or rider:
            typed.append((item, opinion, rider))
    return typed


# --- The one-click link per item --------------------------------------------------------------

_STATUS = {
    "invalid": 404,
    "expired": 410,
    "revoked": 410,
    "used": 409,
    "other_user": 403,
    "term_ended": 403,
}


@require_http_methods(["GET", "HEAD", "POST"])
def consultation_vote_link(request: HttpRequest, token: str) -> HttpResponse:
    """`?item=<order>&vote=<approve|disapprove|abstain>`: the item and the vote of the link
    (the token stands for the member; what it records is shown before anything is)."""
    item, vote = request.GET.get("item", ""), request.GET.get("vote", "")
    try:
        _data, recipient = check_token(token, purposes=(Purpose.VOTE,))
    except TokenRefused as refused:
        return _refuse(request, refused.reason, refused.recipient)
    if request.user.is_authenticated and request.user.pk != recipient.user_id:
        return _refuse(request, "other_user", recipient)
    circulation = recipient.circulation
    chosen = None
    if item.isdigit():
        chosen = ConsultationItem.objects.filter(consultation_id=circulation.pk, order=item).first()
    if chosen is None or vote not in Vote.values:
        return _refuse(request, "invalid", recipient)
    current = current_choices(recipient).get(chosen.pk)
    version = recipient.current_reply.version if recipient.current_reply_id else 0
    context = {
        "circulation": circulation,
        "consultation": circulation.consultation,
        "item": chosen,
        "vote_label": Vote(vote).label,
        "current": current,
        "base_version": version,
    }
    if request.method != "POST":  # GET or HEAD: show, change nothing
        return render(request, "circulation/consultation/vote_link.html", context)
    try:
        base = int(request.POST.get("base_version", ""))
    except ValueError:
        base = -1
    by = request.user if request.user.is_authenticated else None
    try:
        vote_one_item(recipient, item=chosen, vote=vote, base_version=base, by=by)
    except ReplyConflict:
        return _refuse(request, "used", recipient)
    except ReplyRefused as refused:
        reason = "term_ended" if refused.reason == "term_ended" else "expired"
        return _refuse(request, reason, recipient)
    context.update(done=True, url=reverse("consultation_detail", args=[circulation.pk]))
    return render(request, "circulation/consultation/vote_link.html", context)


def _refuse(request: HttpRequest, reason: str, recipient: Recipient | None) -> HttpResponse:
    record_refused_link(
        reason=reason, recipient=recipient, user=request.user, method=request.method or ""
    )
    context = {"reason": reason, "circulation": recipient.circulation if recipient else None}
    return render(request, "circulation/links/refused.html", context, status=_STATUS[reason])


# --- The secretariat records a vote held in a mail --------------------------------------------


@login_required
def consultation_vote_for(
    request: HttpRequest, circulation_id: int, recipient_id: int
) -> HttpResponse:
    circulation = consultation_or_404(request.user, circulation_id, A.MANAGE)
    recipients = Recipient.objects.filter(circulation=circulation).select_related(
        "user", "current_reply"
    )
    recipient = object_or_404(request.user, recipients, recipient_id, A.MANAGE)
    held = InboundMessage.objects.filter(
        recipient=recipient, state__in=InboundMessage.NEEDS_ATTENTION
    ).order_by("-received_at")
    wanted = request.POST.get("message") or request.GET.get("message") or ""
    message = held.filter(pk=int(wanted)).first() if wanted.isdigit() else None
    items = _items(circulation)
    votes = current_choices(recipient)
    version = recipient.current_reply.version if recipient.current_reply_id else 0
    form = VoteForm.for_votes(items, votes, version)
    status = 200
    if request.method == "POST":
        form = VoteForm(request.POST, items=items)
        if form.is_valid():
            try:
                record_vote_for(
                    recipient,
                    choices=form.choices(),
                    by=request.user,
                    message_id=message.pk if message else None,
                )
            except AlreadyHandled:
                messages.error(request, _("このメールは別の人がすでに処理しました。"))
                return redirect("consultation_votes", circulation.pk)
            except (ReplyRefused, ReplyInvalid) as refused:
                form.add_field_error(None, str(refused))
            else:
                messages.success(
                    request,
                    _("%(name)s 様の賛否を記録しました。") % {"name": recipient.user.full_name},
                )
                return redirect("consultation_votes", circulation.pk)
        status = 400
    context = {
        "circulation": circulation,
        "consultation": circulation.consultation,
        "recipient": recipient,
        "form": form,
        "message": message,
        "held": list(held[:10]),
    }
    return render(request, "circulation/consultation/vote_for.html", context, status=status)
