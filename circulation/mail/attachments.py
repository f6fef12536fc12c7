"""Materials attached to a mail: the council may attach the materials to the notice instead
of linking them (審議会の設定), as long as together they stay within its size limit; above
it, or when a file is missing, the notice links them as usual.

The outbox row keeps the materials' ids; delivery reads the files when it composes the
message (Django's EmailMultiAlternatives.attach), so a retry attaches the same files."""

from __future__ import annotations

from email.mime.text import MIMEText

from django.core.mail import EmailMultiAlternatives

from circulation.models import Material, OutboxMessage
from portal.models import Committee

MEGABYTE = 1024 * 1024


def to_attach(committee: Committee, materials: list[Material]) -> list[Material]:
    """The materials to attach to a notice, or [] to link them instead."""
    if not committee.attach_materials or not materials:
        return []
    if sum(m.size for m in materials) > committee.attachment_limit_mb * MEGABYTE:
        return []
    return materials


def attach_materials(email: EmailMultiAlternatives, message: OutboxMessage) -> None:
    """Add the row's materials to the message, in the row's order, with their names."""
    if not message.attachments:
        return
    found = {m.pk: m for m in Material.objects.filter(pk__in=message.attachments)}
    for pk in message.attachments:
        material = found[pk]
        with material.file.open("rb") as handle:
            email.attach(material.original_name, handle.read(), material.content_type)


def attach_calendar(email: EmailMultiAlternatives, message: OutboxMessage) -> None:
    """Add the row's calendar file (.ics), with the METHOD it carries in its content type,
    as calendar programs expect (RFC 6047)."""
    if not message.calendar:
        return
    part = MIMEText(message.calendar, "calendar", "utf-8")
    part.set_param("method", "CANCEL" if "METHOD:CANCEL" in message.calendar else "REQUEST")
    part.add_header("Content-Disposition", "attachment", filename="meeting.ics")
    email.attach(part)
