"""The mail Kairan queued for one recipient of a circulation, with each message's state: what
the tracking page's row links to, so that the secretariat can tell a member "the notice went
out on Monday at 9:02" or see that a reminder failed."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from circulation.models import Circulation, OutboxMessage, Recipient

# What each purpose is, in the words of the screen (an unknown one shows as itself).
PURPOSES: dict[str, Promise] = {
    "circulation.notice": _("書面照会のお知らせ"),
    "circulation.reminder": _("督促"),
    "circulation.reply_receipt": _("回答の受付"),
    "circulation.mail_reply_late": _("回答期限後のメール"),
    "circulation.mail_reply_held": _("保留したメール"),
    "circulation.material_corrected": _("資料の訂正"),
    "circulation.deadline_extended": _("回答期限の延長"),
    "circulation.question": _("質問の受付"),
    "circulation.answer": _("質問への回答"),
    "circulation.closing_summary": _("締切のお知らせ"),
    "circulation.chair_reminder": _("会長への督促"),
    "circulation.decider_changed": _("開催の要否を決定する人の変更"),
    "circulation.decision": _("開催の要否のお知らせ"),
    "meeting.invitation": _("会議の開催通知"),
    "meeting.changed": _("会議の変更"),
    "meeting.cancelled": _("会議の中止"),
    "meeting.reminder": _("会議の前日の案内"),
    "meeting.minutes": _("会議録の公開"),
}


def purpose_label(purpose: str) -> str:
    return str(PURPOSES.get(purpose, purpose))


def mail_of(circulation: Circulation, recipient: Recipient) -> list[OutboxMessage]:
    """Every message of the circulation addressed to the recipient's person, oldest first
    (one query). Each carries `purpose_label`."""
    messages = list(
        OutboxMessage.objects.filter(circulation=circulation, to_user_id=recipient.user_id)
        .only(
            "purpose", "to_email", "subject", "state", "attempts", "last_error",
            "created_at", "sent_at", "key", "deadline_version",
        )
        .order_by("created_at", "id")
    )  # fmt: skip
    for message in messages:
        message.purpose_label = purpose_label(message.purpose)  # type: ignore[attr-defined]
    return messages
