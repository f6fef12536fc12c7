"""Dates of the public records (公開記録) as the city's pages write them: 2026年12月6日, in
Japan time; 6 December 2026 in English."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone, translation

register = template.Library()
_JST = dt.timezone(dt.timedelta(hours=9))
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")  # fmt: skip


def format_date_ja(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    day = timezone.localtime(moment, timezone=_JST).date()
    if translation.get_language() == "en":
        return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


@register.filter
def date_ja(moment: dt.datetime | None) -> str:
    return format_date_ja(moment)
