"""Reading the audit log (操作記録) as the secretariat: what they may see, the filters, the
page and the CSV export. Viewing and exporting are themselves logged.

Scope (docs/security.md): a secretariat user sees, for the committees where they hold the
secretariat role today,
- every entry attached to one of those committees (circulations, replies, refusals on their
  objects, reviews, …), and
- entries attached to no committee (logins, failed logins, MFA, the privacy notice, refusals
  of pages that do not exist) by or about a person who holds or held a membership on one of
  those committees, and
- the retention job's own entries.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone

from portal import audit
from portal.models import AuditEntry, Committee, Membership, User

JST = ZoneInfo("Asia/Tokyo")
PAGE_SIZE = 50

# Japanese names for the actions most often read; others show their dotted code only.
ACTION_LABELS: dict[str, str] = {
    "account.login": "ログイン",
    "account.logout": "ログアウト",
    "account.login_failed": "ログイン失敗",
    "account.privacy_notice.acknowledged": "操作記録についての説明を確認",
    "access.refused": "アクセス拒否",
    "audit.viewed": "操作記録の閲覧",
    "audit.exported": "操作記録の出力",
    "audit.review.recorded": "ログ確認の記録",
    "audit.retention.expired": "保存期間を過ぎた記録の削除",
    "circulation.sent": "書面照会の送付",
    "circulation.closed": "締切",
    "circulation.reply.submitted": "回答",
    "circulation.reply.refused": "回答の拒否(期限後)",
    "meeting.scheduled": "会議の設定",
    "meeting.changed": "会議の変更",
    "meeting.cancelled": "会議の中止",
    "meeting.refused": "会議の操作の拒否",
    "meeting.reminder.queued": "会議の前日の案内",
    "meeting.minutes.uploaded": "会議録の登録",
    "meeting.minutes.published": "会議録の公開",
    "meeting.minutes.downloaded": "会議録のダウンロード",
}


@dataclass(frozen=True)
class Criteria:
    """The secretariat's filters. Dates are Japan dates, both ends included."""

    committee: Committee | None = None
    person: User | None = None
    action: str = ""  # prefix: "circulation." matches every circulation action
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def as_data(self) -> dict[str, Any]:
        """For the audit entry that records a view or an export."""
        return {
            "committee": self.committee.pk if self.committee else None,
            "person": self.person.pk if self.person else None,
            "action": self.action,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
        }


def people_of(committees: Sequence[Committee]) -> QuerySet[User]:
    """Everyone who holds or held a membership (any role, any term) on the committees."""
    ids = Membership.objects.filter(committee__in=committees).values("user_id")
    return User.objects.filter(pk__in=ids)


def entries_in_scope(committees: Sequence[Committee]) -> QuerySet[AuditEntry]:
    people = list(people_of(committees).values_list("pk", flat=True))
    by_or_about_people = Q(actor_id__in=people) | Q(
        object_type="portal.user", object_id__in=[str(pk) for pk in people]
    )
    return AuditEntry.objects.filter(
        Q(committee__in=committees)
        | (Q(committee__isnull=True) & by_or_about_people)
        | Q(committee__isnull=True, action__startswith="audit.retention.")
    )


def _start_of_jst_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=JST)


def matching(committees: Sequence[Committee], criteria: Criteria) -> QuerySet[AuditEntry]:
    entries = entries_in_scope(committees)
    if criteria.committee is not None:
        entries = entries.filter(committee=criteria.committee)
    if criteria.person is not None:
        entries = entries.filter(
            Q(actor=criteria.person)
            | Q(object_type="portal.user", object_id=str(criteria.person.pk))
        )
    if criteria.action:
        entries = entries.filter(action__startswith=criteria.action)
    if criteria.date_from is not None:
        entries = entries.filter(at__gte=_start_of_jst_day(criteria.date_from))
    if criteria.date_to is not None:
        entries = entries.filter(at__lt=_start_of_jst_day(criteria.date_to + dt.timedelta(days=1)))
    return entries.select_related("actor", "committee").order_by("-at", "-id")


def known_actions(committees: Sequence[Committee]) -> list[str]:
    """The action names present in scope, for the filter's suggestions."""
    names = entries_in_scope(committees).values_list("action", flat=True).distinct()
    return sorted(set(names))


def _committee_for_entry(committees: Sequence[Committee], criteria: Criteria) -> Committee | None:
    # The view is filed under the committee whose log was read, so that committee's other
    # secretariat users see it; a view across several committees belongs to none.
    if criteria.committee is not None:
        return criteria.committee
    return committees[0] if len(committees) == 1 else None


def view_audit_log(
    *,
    viewer: User,
    committees: Sequence[Committee],
    criteria: Criteria,
    page_number: str | int | None,
) -> Page:
    """One page of matching entries, newest first; the view is logged (`audit.viewed`)."""
    page = Paginator(matching(committees, criteria), PAGE_SIZE).get_page(page_number)
    # Read the rows now, so that the page never shows the entry recording this very view.
    page.object_list = list(page.object_list)
    for entry in page.object_list:
        entry.action_label = ACTION_LABELS.get(entry.action, "")
    audit.record(
        "audit.viewed",
        actor=viewer,
        committee=_committee_for_entry(committees, criteria),
        data={
            **criteria.as_data(),
            "committees": [c.pk for c in committees],
            "page": page.number,
            "shown": len(page.object_list),
        },
    )
    return page


CSV_HEADER = [
    "日時(日本時間)",
    "日時(UTC)",
    "操作",
    "操作名",
    "結果",
    "操作者",
    "操作者のメールアドレス",
    "審議会",
    "対象の種類",
    "対象ID",
    "対象",
    "IPアドレス",
    "ユーザーエージェント",
    "詳細",
]


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # Spreadsheet formula injection: a cell that starts like a formula is made plain text.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _csv_row(entry: AuditEntry) -> list[str]:
    values = [
        timezone.localtime(entry.at, JST).strftime("%Y-%m-%d %H:%M:%S"),
        entry.at.astimezone(dt.UTC).isoformat(),
        entry.action,
        ACTION_LABELS.get(entry.action, ""),
        entry.get_result_display(),
        entry.actor.full_name if entry.actor else "",
        entry.actor_label,
        entry.committee.name if entry.committee else "",
        entry.object_type,
        entry.object_id,
        entry.object_repr,
        entry.ip or "",
        entry.user_agent,
        json.dumps(entry.data, ensure_ascii=False, sort_keys=True) if entry.data else "",
    ]
    return [_cell(v) for v in values]


def export_audit_log(
    *,
    viewer: User,
    committees: Sequence[Committee],
    criteria: Criteria,
    now: dt.datetime | None = None,
) -> tuple[str, bytes]:
    """Every matching entry as CSV (UTF-8 with BOM, so spreadsheet software reads the
    Japanese right); the export is logged (`audit.exported`). Returns (filename, content)."""
    now = now or timezone.now()
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    rows = 0
    for entry in matching(committees, criteria).iterator(chunk_size=2000):
        writer.writerow(_csv_row(entry))
        rows += 1
    audit.record(
        "audit.exported",
        actor=viewer,
        committee=_committee_for_entry(committees, criteria),
        data={**criteria.as_data(), "committees": [c.pk for c in committees], "rows": rows},
    )
    filename = f"kairan-audit-{timezone.localtime(now, JST):%Y%m%d-%H%M}.csv"
    return filename, buffer.getvalue().encode("utf-8")
