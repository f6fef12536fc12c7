"""Mail of the minutes written in Kairan (会議録): the request to check the draft (委員確認)
to each attendee asked, and the request to confirm a publication step to the person who
decides for the council. Keyed on the minutes and the version (or the step), so a repeated
call sends nothing twice; a revised version sent again is a new mail."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse

from circulation.mail.outbox import Mail, queue_mails
from circulation.models import Minutes, Publication
from portal.models import User

CHECK = "minutes.check"
CONFIRM = "minutes.confirm"


def minutes_url(minutes: Minutes) -> str:
    return settings.SITE_URL + reverse("minutes_detail", args=[minutes.pk])


def queue_check_requests(minutes: Minutes, people: list[User], now: dt.datetime) -> int:
    """【会議録の確認のお願い】 with the deadline, to each person asked."""
    version = minutes.versions.get(number=minutes.check_version)
    return queue_mails(
        [
            Mail(
                purpose=CHECK,
                to=person,
                template="minutes_check",
                context={
                    "minutes": minutes,
                    "version": version,
                    "committee": minutes.committee,
                    "url": minutes_url(minutes),
                },
                key=f"minutes-{minutes.pk}-v{minutes.check_version}",
            )
            for person in people
        ]
    )


def queue_confirmation_requests(publication: Publication, people: list[User]) -> int:
    """【公開の確認のお願い】: a publication step waits for the chair's confirmation."""
    minutes = publication.minutes
    return queue_mails(
        [
            Mail(
                purpose=CONFIRM,
                to=person,
                template="minutes_confirm",
                context={
                    "minutes": minutes,
                    "publication": publication,
                    "committee": minutes.committee,
                    "url": minutes_url(minutes),
                },
                key=f"publication-{publication.pk}",
            )
            for person in people
        ]
    )
