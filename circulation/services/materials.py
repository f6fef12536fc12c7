"""Materials (資料): storing accepted files, correcting a sent material with a new version,
and recording that someone opened one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from circulation.mail.circulation import queue_material_corrected
from circulation.models import Circulation, Material, MaterialOpening, Recipient
from circulation.services.content import content_changed
from circulation.uploads.checks import CheckedUpload
from circulation.uploads.stash import save_checked
from portal import audit
from portal.models import User


@dataclass
class NewMaterial:
    """A material to add: its title (資料名), place in the list, and the accepted file."""

    title: str
    order: int
    upload: CheckedUpload


class CorrectionRefused(Exception):
    """The material cannot be corrected (the circulation is not open, or it was replaced)."""


def store_material(
    circulation: Circulation,
    new: NewMaterial,
    *,
    by: User,
    now: dt.datetime,
    version: int = 1,
    replaces: Material | None = None,
    change_note: str = "",
) -> Material:
    """Write the file under a server-generated name and the row describing it."""
    upload = new.upload
    material = Material(
        circulation=circulation,
        title=new.title,
        order=new.order,
        version=version,
        replaces=replaces,
        change_note=change_note,
        uploaded_by=by,
        uploaded_at=now,
    )
    return save_checked(material, upload)


def correct_material(
    material_id: int,
    *,
    by: User,
    upload: CheckedUpload,
    change_note: str,
    title: str = "",
    now: dt.datetime | None = None,
) -> Material:
    """Replace a sent material with a new version. The old one is kept (not current);
    members who already opened the materials or replied are told what changed."""
    now = now or timezone.now()
    change_note = change_note.strip()
    if not change_note:
        raise CorrectionRefused(_("訂正の内容を入力してください。"))
    with transaction.atomic():
        # The circulation's row first (the parent, as every other service locks it): a close
        # committing meanwhile is waited for, and its state is then read as it is.
        circulation = (
            Circulation.objects.select_for_update(of=("self",))
            .select_related("committee")
            .get(materials=material_id)
        )
        old = Material.objects.select_for_update().get(pk=material_id)
        if circulation.state != Circulation.State.OPEN:
            raise CorrectionRefused(_("回答受付中の書面照会の資料だけを訂正できます。"))
        if not old.is_current:
            raise CorrectionRefused(_("この資料はすでに新しい版に差し替えられています。"))
        old.is_current = False
        old.save(update_fields=["is_current"])
        new = store_material(
            circulation,
            NewMaterial(title=title.strip() or old.title, order=old.order, upload=upload),
            by=by,
            now=now,
            version=old.version + 1,
            replaces=old,
            change_note=change_note,
        )
        content_changed(circulation)
        audit.record(
            "circulation.material.corrected",
            actor=by,
            obj=new,
            committee=circulation.committee,
            data={
                "circulation": circulation.pk,
                "replaces": old.pk,
                "version": new.version,
                "sha256": new.sha256,
                "change_note": change_note,
            },
        )
        told = _recipients_who_saw(circulation)
        for recipient in told:
            queue_material_corrected(recipient, new)
    return new


def _recipients_who_saw(circulation: Circulation) -> list[Recipient]:
    """Those who already opened a material or replied: the rest will see the new version."""
    return list(
        circulation.recipients.filter(
            Q(first_opened_at__isnull=False) | Q(current_reply__isnull=False)
        ).select_related("user", "circulation__committee")
    )


def record_material_opening(
    material: Material,
    *,
    user: User,
    inline: bool,
    via: str = "web",
    now: dt.datetime | None = None,
) -> None:
    """Someone opened a material: recipients' openings are shown on the tracking page;
    every opening by anyone is in the audit log. `via`: "web" (logged in) or "link" (the
    signed link in the member's mail, no login: the link stands for the member)."""
    now = now or timezone.now()
    with transaction.atomic():
        recipient = Recipient.objects.filter(
            circulation_id=material.circulation_id, user=user
        ).first()
        circulation = Circulation.objects.select_related("committee").get(
            pk=material.circulation_id
        )
        if recipient is not None and circulation.state != Circulation.State.DRAFT:
            MaterialOpening.objects.create(material=material, user=user, opened_at=now)
            # Only the first opening sets the moment; a racing second request changes nothing.
            Recipient.objects.filter(pk=recipient.pk, first_opened_at__isnull=True).update(
                first_opened_at=now
            )
        audit.record(
            "circulation.material.viewed" if inline else "circulation.material.downloaded",
            actor=user if via == "web" else None,
            actor_label=user.email,
            obj=material,
            committee=circulation.committee,
            data={
                "circulation": circulation.pk,
                "version": material.version,
                "as_recipient": recipient is not None,
                "via": via,
            },
        )
