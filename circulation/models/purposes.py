"""What each outgoing mail is, in words people read (the outbox stores a code such as
`circulation.notice`; the secretariat's tables show these labels)."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

LABELS = {
    "circulation.notice": _("書面照会の通知"),
    "circulation.reply_receipt": _("回答の受付のお知らせ"),
    "circulation.reminder": _("督促"),
    "circulation.chair_reminder": _("開催の要否の督促"),
    "circulation.closing_summary": _("締切のお知らせ"),
    "circulation.material_corrected": _("資料の訂正のお知らせ"),
    "circulation.deadline_extended": _("回答期限の延長のお知らせ"),
    "circulation.question": _("質問が届いたお知らせ"),
    "circulation.answer": _("質問への回答"),
    "circulation.decision": _("開催の要否のお知らせ"),
    "circulation.decider_changed": _("開催の要否のご判断のお願い"),
    "circulation.mail_reply_held": _("メールを事務局に届けたお知らせ"),
    "circulation.mail_reply_late": _("回答期限を過ぎたお知らせ"),
    "circulation.mail_question_receipt": _("メールでの質問の受付のお知らせ"),
    "meeting.invitation": _("会議の開催通知"),
    "meeting.changed": _("会議の変更のお知らせ"),
    "meeting.cancelled": _("会議の中止のお知らせ"),
    "meeting.reminder": _("会議の前日のご案内"),
    "meeting.minutes": _("会議録の公開のお知らせ"),
    "minutes.check": _("会議録の確認のお願い"),
    "minutes.confirm": _("公開記録の確認のお願い"),
    "meeting.attendance_reminder": _("出欠のご確認"),
    "account.invitation": _("招待"),
}


def purpose_label(purpose: str) -> str:
    """The label of a purpose code; account mail (login codes, password resets) by kind."""
    if purpose in LABELS:
        return str(LABELS[purpose])
    if purpose.startswith("account."):
        return gettext("アカウントのお知らせ")
    return purpose
