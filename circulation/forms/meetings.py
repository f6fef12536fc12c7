"""The secretariat's meeting forms: schedule or change (会議を設定・変更する), cancel
(中止する), and the minutes (会議録) upload. Times are typed in Japan time; the rules on
them are the service's (`check_details`), applied here too so each error sits by its field.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from circulation.forms.base import AccessibleForm, date_field, japan_moment, japan_parts, time_field
from circulation.forms.stashed_upload import KeptUploadMixin
from circulation.models import Meeting
from circulation.services.meetings import (
    NOTE_MAX_LENGTH,
    PLACE_MAX_LENGTH,
    REASON_MAX_LENGTH,
    URL_MAX_LENGTH,
    MeetingDetails,
    MeetingInvalid,
    check_details,
)
from circulation.services.minutes import TITLE_MAX_LENGTH
from portal.models import User


class MeetingForm(AccessibleForm):
    date = date_field(_("開催日"))
    start_time = time_field(_("開始時刻"))
    end_time = time_field(_("終了時刻"))
    place = forms.CharField(
        label=_("会場"),
        max_length=PLACE_MAX_LENGTH,
        required=False,
        help_text=_(
            "例: 市役所本庁舎 5階 第1会議室。会場かウェブ会議のURLの少なくとも一方が必要です。"
        ),
    )
    # A plain text input: the service checks the address (http/https only), so that the
    # message is ours and the browser does not refuse a URL on its own first.
    web_url = forms.CharField(
        label=_("ウェブ会議のURL"),
        max_length=URL_MAX_LENGTH,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off"}),
        help_text=_("https:// で始まるアドレス。委員へのメールと会議のページに載ります。"),
    )
    note = forms.CharField(
        label=_("案内"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("持ち物や接続の手順など。Markdown 形式で書けます。"),
    )
    # The version the page showed (changes only): a change made meanwhile is not overwritten.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)

    def __init__(self, *args: Any, meeting: Meeting | None = None, **kwargs: Any) -> None:
        unbound = (args[0] if args else kwargs.get("data")) is None
        if meeting is not None and unbound and "initial" not in kwargs:
            kwargs["initial"] = initial_for(meeting)
        super().__init__(*args, **kwargs)
        self.fields["start_time"].initial = dt.time(14, 0)
        self.fields["end_time"].initial = dt.time(16, 0)
        self.details: MeetingDetails | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        day, start, end = data.get("date"), data.get("start_time"), data.get("end_time")
        if not (day and start and end) or self.errors:
            return data
        details = MeetingDetails(
            starts_at=japan_moment(day, start),
            ends_at=japan_moment(day, end),
            place=data.get("place", ""),
            web_url=data.get("web_url", ""),
            note=data.get("note", ""),
        )
        try:
            self.details = check_details(details, timezone.now())
        except MeetingInvalid as invalid:
            self.add_error(invalid.field, str(invalid.message))
        return data


def initial_for(meeting: Meeting) -> dict[str, Any]:
    day, start = japan_parts(meeting.starts_at)
    _day, end = japan_parts(meeting.ends_at)
    return {
        "date": day,
        "start_time": start,
        "end_time": end,
        "place": meeting.place,
        "web_url": meeting.web_url,
        "note": meeting.note,
        "version": meeting.version,
    }


class ChangeMeetingForm(MeetingForm):
    reason = forms.CharField(
        label=_("変更の理由"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("任意。変更のお知らせに載ります。"),
    )


class CancelMeetingForm(AccessibleForm):
    reason = forms.CharField(
        label=_("中止の理由"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("中止のお知らせに載ります。"),
        error_messages={"required": _("中止の理由を入力してください。")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class MinutesForm(KeptUploadMixin, AccessibleForm):
    """The minutes file, checked by content as materials are. An accepted file is kept
    (a signed token in `stash`) when the form comes back, so it need not be chosen again."""

    file = forms.FileField(label=_("会議録ファイル"), required=False)
    title = forms.CharField(
        label=_("会議録の名称"),
        max_length=TITLE_MAX_LENGTH,
        required=False,
        help_text=_("空欄なら「会議録」とします。例: 第46回 管理運用会議 会議録"),
    )
    stash = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start_stashing(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.clean_stashed_file(data, _("会議録のファイルを選んでください。"))
        return data
