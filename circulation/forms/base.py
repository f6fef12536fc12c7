"""What every form here shares: errors tied to their fields for screen readers, and
deadlines typed in Japan time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

JAPAN = ZoneInfo("Asia/Tokyo")


class AccessibleForm(forms.Form):
    """Marks fields with errors aria-invalid and points them at their error list, whose id
    the template `circulation/_field.html` renders as `<auto_id>-error`."""

    def full_clean(self) -> None:
        super().full_clean()
        self.mark_errors()

    def add_field_error(self, name: str | None, message: str) -> None:
        """An error found after validation (by a service), tied to its field like the rest."""
        self.add_error(name, message)
        self.mark_errors()

    def mark_errors(self) -> None:
        for name in self.errors:
            if name not in self.fields:
                continue
            bound = self[name]
            described = [f"{bound.auto_id}-error"]
            if self.fields[name].help_text:
                described.append(f"{bound.auto_id}_helptext")
            attrs = self.fields[name].widget.attrs
            attrs["aria-invalid"] = "true"
            attrs["aria-describedby"] = " ".join(described)


def date_field(label: str | None = None) -> forms.DateField:
    return forms.DateField(
        label=label or _("日付"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("日付を 2026-09-10 の形で入力してください。")},
    )


def time_field(label: str | None = None) -> forms.TimeField:
    return forms.TimeField(
        label=label or _("時刻"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        initial=dt.time(17, 0),
        error_messages={"invalid": _("時刻を 17:00 の形で入力してください。")},
    )


def japan_moment(day: dt.date, time: dt.time) -> dt.datetime:
    """A date and time typed in Japan time, as an aware UTC datetime for storage."""
    return dt.datetime.combine(day, time.replace(tzinfo=None), tzinfo=JAPAN).astimezone(dt.UTC)


def japan_parts(moment: dt.datetime) -> tuple[dt.date, dt.time]:
    local = moment.astimezone(JAPAN)
    return local.date(), local.time().replace(second=0, microsecond=0)
