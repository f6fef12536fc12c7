"""Showing moments the way the council reads them: Japan time, with the weekday."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone, translation

register = template.Library()

_WEEKDAYS_JA = "月火水木金土日"
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_JST = dt.timezone(dt.timedelta(hours=9))


def format_jst(
    moment: dt.datetime | None, *, with_year: bool = False, language: str | None = None
) -> str:
    """9月10日(金) 17:00 in Japanese, Fri 10 Sep 17:00 in English; always Japan time.
    `language`: the active one if not given (a caller formatting many moments looks it up
    once)."""
    if moment is None:
        return ""
    local = timezone.localtime(moment, timezone=_JST)
    if (language or translation.get_language()) == "en":
        text = (
            f"{_WEEKDAYS_EN[local.weekday()]} {local.day} {_MONTHS_EN[local.month - 1]}"
            f"{' ' + str(local.year) if with_year else ''} {local:%H:%M} JST"
        )
        return text
    year = f"{local.year}年" if with_year else ""
    return f"{year}{local.month}月{local.day}日({_WEEKDAYS_JA[local.weekday()]}) {local:%H:%M}"


def format_meeting_time(
    starts: dt.datetime, ends: dt.datetime, *, language: str | None = None
) -> str:
    """When a meeting is held, in Japan time with the year and weekday: 2026年12月3日(木)
    14:00〜16:00, or Thu 3 Dec 2026 14:00–16:00 JST. The end's date is written out only when
    it falls on another day."""
    language = language or translation.get_language()
    start = timezone.localtime(starts, timezone=_JST)
    end = timezone.localtime(ends, timezone=_JST)
    if start.date() != end.date():
        first = format_jst(starts, with_year=True, language=language)
        second = format_jst(ends, with_year=True, language=language)
        return f"{first}〜{second}" if language != "en" else f"{first} – {second}"
    first = format_jst(starts, with_year=True, language=language)
    if language == "en":
        return f"{first.removesuffix(' JST')}–{end:%H:%M} JST"
    return f"{first}〜{end:%H:%M}"


def format_time_left(deadline: dt.datetime, now: dt.datetime | None = None) -> str:
    """あと2日5時間 / 2 days 5 hours left; 締切済み once past."""
    now = now or timezone.now()
    seconds = int((deadline - now).total_seconds())
    english = translation.get_language() == "en"
    if seconds <= 0:
        return "Closed" if english else "締切済み"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if english:
        if days:
            return f"{days} day{'s' if days != 1 else ''} {hours} h left"
        if hours:
            return f"{hours} h {minutes} min left"
        return f"{max(minutes, 1)} min left"
    if days:
        return f"あと{days}日{hours}時間"
    if hours:
        return f"あと{hours}時間{minutes}分"
    return f"あと{max(minutes, 1)}分"


def format_waited(since: dt.datetime, now: dt.datetime | None = None) -> str:
    """How long something has waited: 2日5時間 / 2 days 5 h; 3時間 / 3 h; 1分 at least."""
    now = now or timezone.now()
    seconds = max(int((now - since).total_seconds()), 60)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if translation.get_language() == "en":
        if days:
            return f"{days} day{'s' if days != 1 else ''} {hours} h"
        return f"{hours} h {minutes} min" if hours else f"{minutes} min"
    if days:
        return f"{days}日{hours}時間"
    return f"{hours}時間{minutes}分" if hours else f"{minutes}分"


@register.filter
def jst(moment: dt.datetime | None) -> str:
    return format_jst(moment)


@register.filter
def jst_with_year(moment: dt.datetime | None) -> str:
    return format_jst(moment, with_year=True)


@register.filter
def time_left(deadline: dt.datetime) -> str:
    return format_time_left(deadline)


@register.filter
def waited(since: dt.datetime | None) -> str:
    return format_waited(since) if since else ""


@register.filter
def meeting_time(meeting: object) -> str:
    """A meeting (anything with starts_at and ends_at) as format_meeting_time writes it."""
    return format_meeting_time(meeting.starts_at, meeting.ends_at)  # type: ignore[attr-defined]
