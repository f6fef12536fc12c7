"""The periodic review (ログ確認): the secretariat records that a period of the log was
reviewed, with findings; a review that is overdue is shown on the audit page and on the
council's page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEntry, LogReview

pytestmark = pytest.mark.django_db
OVERDUE = "ログ確認が期限を過ぎています"


def days_later(days):
    return time_machine.travel(timezone.now() + dt.timedelta(days=days), tick=False)


def test_a_new_council_is_not_overdue_but_is_after_the_interval(client, council):
    client.force_login(council.secretariat)
    assert OVERDUE not in client.get(reverse("audit_log")).content.decode()
    with days_later(31):
        client.force_login(council.secretariat)
        assert OVERDUE in client.get(reverse("audit_log")).content.decode()
        page = client.get(reverse("committee_detail", args=[council.committee.pk]))
        assert OVERDUE in page.content.decode()


def test_members_do_not_see_the_secretariats_review_notice(client, council):
    with days_later(31):
        client.force_login(council.members[0])
        page = client.get(reverse("committee_detail", args=[council.committee.pk]))
    assert page.status_code == 200
    assert OVERDUE not in page.content.decode()
    assert reverse("audit_log") not in page.content.decode()


def test_the_interval_is_a_setting(client, council, settings):
    settings.KAIRAN_AUDIT_REVIEW_INTERVAL_DAYS = 90
    with days_later(31):
        client.force_login(council.secretariat)
        assert OVERDUE not in client.get(reverse("audit_log")).content.decode()


def test_recording_a_review_clears_the_notice_and_is_logged(client, council):
    url = reverse("audit_log_reviews", args=[council.committee.pk])
    with days_later(40):
        today = timezone.localdate()
        client.force_login(council.secretariat)
        form = client.get(url)
        assert form.status_code == 200
        assert form.context["form"].initial["period_end"] == today
        response = client.post(url, {
            "period_start": (today - dt.timedelta(days=40)).isoformat(),
            "period_end": (today - dt.timedelta(days=1)).isoformat(),
            "result": "issues",
            "findings": "退任した委員のログイン失敗が3回あった。本人に確認済み。",
        })  # fmt: skip
        assert response.status_code == 302
        page = client.get(response["Location"])
        assert "ログ確認を記録しました。" in page.content.decode()
        assert "退任した委員のログイン失敗が3回あった。" in page.content.decode()
        assert OVERDUE not in client.get(reverse("audit_log")).content.decode()

    review = LogReview.objects.get()
    assert review.reviewer == council.secretariat
    assert review.result == LogReview.Result.ISSUES
    entry = AuditEntry.objects.get(action="audit.review.recorded")
    assert entry.committee == council.committee
    assert entry.actor == council.secretariat
    assert entry.data["period_end"] == review.period_end.isoformat()
    assert entry.data["result"] == "issues"


def test_the_next_review_starts_the_day_after_the_last_reviewed_period(client, council):
    LogReview.objects.create(
        committee=council.committee, reviewer=council.secretariat, result="ok",
        period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 1, 31),
    )  # fmt: skip
    client.force_login(council.secretariat)
    form = client.get(reverse("audit_log_reviews", args=[council.committee.pk])).context["form"]
    assert form.initial["period_start"] == dt.date(2026, 2, 1)


def test_issues_without_findings_are_explained_and_nothing_typed_is_lost(client, council):
    client.force_login(council.secretariat)
    url = reverse("audit_log_reviews", args=[council.committee.pk])
    response = client.post(url, {"period_start": "2026-01-01", "period_end": "2026-01-31",
                                 "result": "issues", "findings": "  "})  # fmt: skip
    assert response.status_code == 400
    body = response.content.decode()
    assert "要対応事項があるときは、所見を書いてください。" in body
    assert 'value="2026-01-01"' in body and 'value="2026-01-31"' in body
    assert re.search(r'<input type="radio" name="result" value="issues"[^>]*checked', body)
    assert not LogReview.objects.exists()


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-01-31", "2026-01-01", "終了日は開始日以降の日付にしてください。"),
        ("2026-01-01", "2099-01-01", "まだ終わっていない日は確認済みにできません。"),
    ],
)
def test_impossible_periods_are_refused_with_a_reason(client, council, start, end, message):
    client.force_login(council.secretariat)
    url = reverse("audit_log_reviews", args=[council.committee.pk])
    response = client.post(url, {"period_start": start, "period_end": end, "result": "ok"})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'aria-describedby="id_period_end_error"' in response.content.decode()
    assert not LogReview.objects.exists()


def test_only_this_councils_secretariat_may_record_a_review(client, council):
    url = reverse("audit_log_reviews", args=[council.committee.pk])
    data = {"period_start": "2026-01-01", "period_end": "2026-01-31", "result": "ok"}
    client.force_login(council.chair)
    assert client.post(url, data).status_code == 403
    client.force_login(council.other_secretariat)
    assert client.post(url, data).status_code == 404
    assert not LogReview.objects.exists()
    assert AuditEntry.objects.filter(action="access.refused").count() == 2
