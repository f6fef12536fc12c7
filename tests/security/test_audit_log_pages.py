"""The secretariat reads the audit log (操作記録): only their committees, filtered by
person, committee, action and Japan dates, in Japan time, page by page, and as CSV. Reading
and exporting the log are logged too."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
import time_machine
from django.urls import reverse

from portal import audit
from portal.models import AuditEntry

JST = dt.timezone(dt.timedelta(hours=9))
pytestmark = pytest.mark.django_db


def at(year, month, day, hour=9, minute=0):
    return time_machine.travel(dt.datetime(year, month, day, hour, minute, tzinfo=JST), tick=False)


@pytest.fixture
def history(council):
    """A week of operations on two councils, recorded at known Japan times."""
    tanaka, takahashi = council.members[0], council.members[1]
    with at(2026, 4, 1, 8, 30):
        audit.record("account.login", actor=tanaka, obj=tanaka)
    with at(2026, 4, 1, 23, 30):  # 14:30 UTC: still 1 April in Japan
        audit.record("circulation.reply.submitted", actor=tanaka, committee=council.committee)
    with at(2026, 4, 2, 0, 10):  # 1 April in UTC, 2 April in Japan
        audit.record("circulation.sent", actor=council.secretariat, obj=council.committee)
    with at(2026, 4, 2, 10, 0):
        audit.record(
            "account.login_failed", obj=takahashi, actor_label="takahashi@example.jp",
            result=AuditEntry.Result.REFUSED,
        )  # fmt: skip
        # Elsewhere: the other council's own work and a stranger's login stay out of sight.
        audit.record("circulation.sent", actor=council.other_secretariat,
                     committee=council.other_committee)  # fmt: skip
        audit.record("account.login", actor=council.outsider, obj=council.outsider)
    return council


def window():
    """The days of the history: the personas' own logins in the tests happen today."""
    return {"date_from": "2026-04-01", "date_to": "2026-04-02"}


def rows(response):
    return [e.action for e in response.context["page"].object_list]


def test_secretariat_sees_their_councils_work_and_their_members_logins_only(client, history):
    client.force_login(history.secretariat)
    response = client.get(reverse("audit_log"), window())
    assert response.status_code == 200
    assert rows(response) == [
        "account.login_failed",
        "circulation.sent",
        "circulation.reply.submitted",
        "account.login",
    ]
    body = response.content.decode()
    assert "情報公開審査会" not in body.split('<h2 id="entries-heading"')[1]
    assert "kobayashi@example.jp" not in body


def test_times_are_shown_in_japan_time(client, history):
    client.force_login(history.secretariat)
    body = client.get(reverse("audit_log")).content.decode()
    assert "2026-04-01 23:30:00" in body
    assert "2026-04-02 00:10:00" in body
    assert "日時(日本時間)" in body


def test_filter_by_japan_dates_includes_the_whole_last_day(client, history):
    client.force_login(history.secretariat)
    one_day = {"date_from": "2026-04-01", "date_to": "2026-04-01"}
    response = client.get(reverse("audit_log"), one_day)
    assert rows(response) == ["circulation.reply.submitted", "account.login"]


def test_filter_by_action_prefix(client, history):
    client.force_login(history.secretariat)
    response = client.get(reverse("audit_log"), {"action": "circulation."})
    assert rows(response) == ["circulation.sent", "circulation.reply.submitted"]


def test_filter_by_person_includes_failed_logins_under_their_address(client, history):
    client.force_login(history.secretariat)
    response = client.get(reverse("audit_log"), {"person": history.members[1].pk, **window()})
    assert rows(response) == ["account.login_failed"]
    response = client.get(reverse("audit_log"), {"person": history.members[0].pk, **window()})
    assert rows(response) == ["circulation.reply.submitted", "account.login"]


def test_filter_by_committee_keeps_only_that_councils_entries(client, history):
    client.force_login(history.secretariat)
    response = client.get(reverse("audit_log"), {"committee": history.committee.pk, **window()})
    assert rows(response) == ["circulation.sent", "circulation.reply.submitted"]


def test_a_person_outside_the_scope_cannot_be_chosen(client, history):
    client.force_login(history.secretariat)
    response = client.get(reverse("audit_log"), {"person": history.outsider.pk})
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()


def test_a_reversed_date_range_is_explained_and_the_typed_dates_are_kept(client, history):
    client.force_login(history.secretariat)
    reversed_range = {"date_from": "2026-04-05", "date_to": "2026-04-01"}
    response = client.get(reverse("audit_log"), reversed_range)
    assert response.status_code == 400
    body = response.content.decode()
    assert "終了日は開始日以降の日付にしてください。" in body
    assert 'value="2026-04-05"' in body and 'value="2026-04-01"' in body
    assert 'aria-describedby="id_date_to_helptext id_date_to_error"' in body
    assert not AuditEntry.objects.filter(action="audit.viewed").exists()


def test_viewing_the_log_is_itself_logged_with_the_filters(client, history):
    client.force_login(history.secretariat)
    response = client.get(reverse("audit_log"), {"committee": history.committee.pk,
                                                 "action": "circulation."})  # fmt: skip
    assert "audit.viewed" not in rows(response)  # this view's own entry is not on the page
    viewed = AuditEntry.objects.get(action="audit.viewed")
    assert viewed.actor == history.secretariat
    assert viewed.committee == history.committee
    assert viewed.data["action"] == "circulation."
    assert viewed.data["shown"] == 2


def test_pages_of_fifty_keep_the_filters(client, council):
    for _ in range(60):
        audit.record("circulation.sent", actor=council.secretariat, obj=council.committee)
    client.force_login(council.secretariat)
    first = client.get(reverse("audit_log"), {"action": "circulation."})
    assert len(first.context["page"].object_list) == 50
    assert "?action=circulation.&amp;page=2" in first.content.decode()
    second = client.get(reverse("audit_log"), {"action": "circulation.", "page": 2})
    assert len(second.context["page"].object_list) == 10


def test_csv_export_is_utf8_with_bom_in_japan_time_and_logged(client, history):
    client.force_login(history.secretariat)
    response = client.get(reverse("audit_log_export"), window())
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="kairan-audit-\d{8}-\d{4}\.csv"', response["Content-Disposition"]
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0][:3] == ["日時(日本時間)", "日時(UTC)", "操作"]
    assert [row[0] for row in table[1:]] == [
        "2026-04-02 10:00:00", "2026-04-02 00:10:00", "2026-04-01 23:30:00", "2026-04-01 08:30:00",
    ]  # fmt: skip
    assert table[2][1] == "2026-04-01T15:10:00+00:00"  # 00:10 on 2 April in Japan
    exported = AuditEntry.objects.get(action="audit.exported")
    assert exported.actor == history.secretariat
    assert exported.data["rows"] == 4
    assert exported.data["date_to"] == "2026-04-02"


def test_csv_cells_that_look_like_formulas_are_made_plain_text(client, council):
    audit.record("account.login_failed", actor_label="=HYPERLINK(\"http://evil\")",
                 obj=council.members[0], result=AuditEntry.Result.REFUSED)  # fmt: skip
    client.force_login(council.secretariat)
    response = client.get(reverse("audit_log_export"), {"action": "account.login_failed"})
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[1][6] == '\'=HYPERLINK("http://evil")'


def test_members_get_403_and_outsiders_404(client, council):
    client.force_login(council.members[0])
    assert client.get(reverse("audit_log")).status_code == 403
    assert client.get(reverse("audit_log_export")).status_code == 403
    client.force_login(council.outsider)
    assert client.get(reverse("audit_log")).status_code == 404
    client.force_login(council.former_member)
    assert client.get(reverse("audit_log")).status_code == 404


def test_another_councils_secretariat_cannot_ask_for_this_council(client, history):
    client.force_login(history.other_secretariat)
    own = client.get(reverse("audit_log"), window())
    assert own.status_code == 200
    assert rows(own) == ["circulation.sent"]  # their own council's entry only
    theirs = {"committee": history.committee.pk}
    assert client.get(reverse("audit_log"), theirs).status_code == 404
    assert client.get(reverse("audit_log_export"), theirs).status_code == 404
    assert not AuditEntry.objects.filter(action="audit.exported").exists()
