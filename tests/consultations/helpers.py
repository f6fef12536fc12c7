"""Building consultations (諮問) for tests through the real services."""

from __future__ import annotations

import datetime as dt

from django.core.files.base import ContentFile
from django.utils import timezone

from circulation.models import Circulation, Consultation, ConsultationItem, Recipient
from circulation.services.closing import close_circulation
from circulation.services.consultations import ConsultationContent, register_consultation
from circulation.services.drafts import DraftContent, sitting_memberships
from circulation.services.materials import NewMaterial
from circulation.services.sending import send_circulation
from circulation.services.votes import ItemChoice, submit_votes
from circulation.uploads.checks import check_upload
from portal.models import User
from tests.circulation.helpers import PDF_BYTES
from tests.conftest import Council

TITLE = "戸籍総合システムにおけるクラウドサービスの利用について"
ITEMS = ["クラウドサービスの利用", "戸籍データの外部保存"]


def register(
    council: Council,
    *,
    staff: list[User],
    number: int = 65,
    items: list[str] | None = None,
    deadline: dt.datetime | None = None,
    title: str = TITLE,
    recipients: list[User] | None = None,
) -> Circulation:
    """A consultation draft with one PDF, addressed to every sitting member today."""
    committee = council.committee
    seats = sitting_memberships(committee, timezone.localdate())
    draft = DraftContent(
        title=title,
        explanation="",
        deadline=deadline or timezone.now() + dt.timedelta(days=7),
        recipient_ids=[u.pk for u in recipients] if recipients else [m.user_id for m in seats],
    )
    content = ConsultationContent(
        number=number,
        department="市民生活部 中央地域センター",
        staff_ids=[person.pk for person in staff],
        received_on=timezone.localdate(),
        reason="戸籍総合システムの更新に当たり、クラウドサービスを利用するため。",
        items=items or ITEMS,
    )
    upload = check_upload(ContentFile(PDF_BYTES, name="諮問書.pdf"))
    return register_consultation(
        committee,
        by=council.secretariat,
        draft=draft,
        content=content,
        new_materials=[NewMaterial(title="諮問書", order=1, upload=upload)],
    )


def sent(council: Council, **kwargs: object) -> Circulation:
    circulation = register(council, **kwargs)
    return send_circulation(circulation.pk, by=council.secretariat)


def items_of(circulation: Circulation) -> list[ConsultationItem]:
    return list(ConsultationItem.objects.filter(consultation_id=circulation.pk))


def receipt(circulation: Circulation, user: User) -> Recipient:
    return Recipient.objects.get(circulation=circulation, user=user)


def vote(
    circulation: Circulation,
    user: User,
    *votes: str,
    opinion: str = "",
    rider: str = "",
    **extra: object,
):
    """`user` votes the given votes on the items in order ("" leaves an item unvoted);
    the opinion and rider go with the first item."""
    items = items_of(circulation)
    choices = [
        ItemChoice(item.pk, value, opinion if n == 0 else "", rider if n == 0 else "")
        for n, (item, value) in enumerate(zip(items, votes, strict=False))
    ]
    return submit_votes(
        recipient=receipt(circulation, user), choices=choices, submitted_by=user, **extra
    )


def closed(circulation: Circulation) -> Circulation:
    """Closed by the due work's service at the deadline."""
    moment = circulation.deadline + dt.timedelta(seconds=1)
    assert close_circulation(circulation.pk, now=moment)
    return Circulation.objects.select_related("committee").get(pk=circulation.pk)


def consultation(circulation: Circulation) -> Consultation:
    return Consultation.objects.get(pk=circulation.pk)


def today() -> dt.date:
    return timezone.localdate()


def consultation_deadline() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=7)
