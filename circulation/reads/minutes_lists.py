"""The council's minutes and public records for its secretariat (会議録・公開記録): every
record with its state and the title of its latest version, the sessions held without
minutes yet, and the circulations decided in Kairan without a record yet. A fixed number
of queries however many."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import OuterRef, Subquery

from circulation.models import Circulation, Meeting, Minutes, MinutesVersion, RecordSettings
from portal.models import Committee


def council_minutes(committee: Committee, now: dt.datetime) -> dict[str, Any]:
    latest_title = Subquery(
        MinutesVersion.objects.filter(
            minutes=OuterRef("pk"), number=OuterRef("latest_version")
        ).values("title")[:1]
    )
    records = list(
        Minutes.objects.filter(committee=committee)
        .annotate(latest_title=latest_title)
        .order_by("-created_at", "-pk")
    )
    sessions = list(
        Meeting.objects.filter(
            committee=committee,
            state=Meeting.State.SCHEDULED,
            starts_at__lte=now,
            minutes_record__isnull=True,
        ).order_by("-starts_at")
    )
    circulations = list(
        Circulation.objects.filter(
            committee=committee,
            state__in=[Circulation.State.DECIDED, Circulation.State.ARCHIVED],
            decision__isnull=False,
            public_record__isnull=True,
        ).order_by("-sent_at")
    )
    return {
        "records": records,
        "sessions": sessions,
        "circulations": circulations,
        "settings": RecordSettings.settings_of(committee),
    }
