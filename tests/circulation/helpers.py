"""Building circulations for tests through the real services where they exist."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.files.base import ContentFile
from django.utils import timezone

from circulation.models import Circulation, Material, Recipient
from circulation.services.sending import send_circulation
from portal.models import SITTING_ROLES, Membership
from tests.circulation import pdfs
from tests.conftest import Council

# A one-page PDF that a real PDF parser reads (uploads are checked with qpdf).
PDF_BYTES = pdfs.plain()


def draft_circulation(
    council: Council,
    *,
    deadline: dt.datetime | None = None,
    title: str = "第12回 管理運用会議 議事録",
) -> Circulation:
    """A draft with one PDF material, addressed to every sitting member today."""
    circulation = Circulation.objects.create(
        committee=council.committee,
        title=title,
        explanation="議事録をご確認ください。",
        deadline=deadline or timezone.now() + dt.timedelta(days=7),
        created_by=council.secretariat,
    )
    material = Material(
        circulation=circulation,
        title="議事録(案)",
        original_name="議事録.pdf",
        content_type="application/pdf",
        size=len(PDF_BYTES),
        sha256=hashlib.sha256(PDF_BYTES).hexdigest(),
        uploaded_by=council.secretariat,
    )
    material.file.save("x", ContentFile(PDF_BYTES), save=False)
    material.save()
    for membership in Membership.objects.current().filter(
        committee=council.committee, role__in=SITTING_ROLES
    ):
        Recipient.objects.create(
            circulation=circulation, user=membership.user, membership=membership,
            role=membership.role,
        )  # fmt: skip
    return circulation


def sent_circulation(council: Council, **kwargs: object) -> Circulation:
    circulation = draft_circulation(council, **kwargs)
    return send_circulation(circulation.pk, by=council.secretariat)
