"""Account pages of Kairan's own: invitation acceptance and the language switch."""

from __future__ import annotations

from allauth.account import app_settings as allauth_settings
from allauth.account.utils import perform_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.i18n import set_language as django_set_language

from portal.forms import AcceptInvitationForm
from portal.services.accounts import set_language_preference
from portal.services.errors import Refused
from portal.services.invitations import (
    InvitationStatus,
    accept_invitation,
    read_invitation,
    record_refused_invitation,
)


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the invitation (and changes nothing: mail scanners fetch links); POST
    accepts it, verifies the address and logs the person in."""
    invitation = read_invitation(token)
    if invitation.status is InvitationStatus.ACCEPTED:
        return render(request, "portal/invitation/accepted.html", {})
    if invitation.status is not InvitationStatus.VALID or invitation.membership is None:
        record_refused_invitation(invitation, user=request.user, reason=invitation.status.value)
        return _unusable(request, invitation.status)
    membership = invitation.membership
    user = membership.user
    if request.user.is_authenticated and request.user.pk != user.pk:
        record_refused_invitation(invitation, user=request.user, reason="other_account")
        return render(request, "portal/invitation/other_account.html", {}, status=403)
    form = AcceptInvitationForm(request.POST if request.method == "POST" else None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            user = accept_invitation(
                token,
                form.cleaned_data["full_name"],
                form.cleaned_data["password1"],
                translation.get_language(),
            )
        except Refused:
            return _unusable(request, InvitationStatus.INVALID)
        # allauth's own login: MFA, if the person has it, is asked for here too.
        return perform_login(
            request,
            user,
            email_verification=allauth_settings.EMAIL_VERIFICATION,
            redirect_url=reverse("home"),
            email=user.email,
        )
    return render(
        request,
        "portal/invitation/accept.html",
        {"form": form, "membership": membership, "committee": membership.committee},
        status=400 if form.is_bound else 200,
    )


def _unusable(request: HttpRequest, status: InvitationStatus) -> HttpResponse:
    return render(
        request,
        "portal/invitation/unusable.html",
        {"expired": status is InvitationStatus.EXPIRED},
        status=410,
    )


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch; a logged-in person's choice is also saved, so that their
    mail is written in it."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.method == "POST" and request.user.is_authenticated:
        set_language_preference(request.user, language)
    return response
