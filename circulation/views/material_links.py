"""A material opened from the signed link in a member's mail, without logging in.

A GET shows what the link opens (the material, its circulation, until when the links work)
and a button; only the POST sends the file and records the download (audited `via` "link",
with the IP), so a mail scanner that prefetches links neither downloads nor marks the
material as opened. Signed in as somebody else, the link is refused, as reply links are."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from circulation.mail.material_tokens import check_material_token, link_valid_until
from circulation.mail.tokens import TokenRefused, record_refused_link
from circulation.models import Material, Recipient
from circulation.services.materials import record_material_opening
from circulation.views.materials import open_or_404, private_download

_STATUS = {"invalid": 404, "expired": 410, "revoked": 410, "term_ended": 403, "other_user": 403}


@require_http_methods(["GET", "HEAD", "POST"])
def material_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        recipient, material = check_material_token(token)
    except TokenRefused as refused:
        return _refuse(request, refused.reason, refused.recipient)
    if request.user.is_authenticated and request.user.pk != recipient.user_id:
        return _refuse(request, "other_user", recipient)
    if request.method != "POST":
        return _page(request, recipient, material)
    handle = open_or_404(material.file)
    record_material_opening(material, user=recipient.user, inline=False, via="link")
    return private_download(handle, material.content_type, material.original_name)


def _page(request: HttpRequest, recipient: Recipient, material: Material) -> HttpResponse:
    circulation = recipient.circulation
    newer = Material.objects.filter(circulation=circulation, replaces=material).first()
    context = {
        "recipient": recipient,
        "circulation": circulation,
        "material": material,
        "newer": newer,
        "valid_until": link_valid_until(circulation),
        "link_days": circulation.committee.material_link_days,
    }
    return render(request, "circulation/links/material.html", context)


def _refuse(request: HttpRequest, reason: str, recipient: Recipient | None) -> HttpResponse:
    record_refused_link(
        reason=reason, recipient=recipient, user=request.user, method=request.method or ""
    )
    context = {"reason": reason, "circulation": recipient.circulation if recipient else None}
    return render(request, "circulation/links/material_refused.html", context,
                  status=_STATUS[reason])  # fmt: skip
