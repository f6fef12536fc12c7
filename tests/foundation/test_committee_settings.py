"""The secretariat sets when members who have not replied are reminded, when the chair is,
and whether members see who asked a question — on the council's own settings page (審議会の
設定), not in the admin. Every change is in the audit log; beat uses it from its next tick."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from portal.models import AuditEntry, Committee

pytestmark = pytest.mark.django_db


def settings_url(council) -> str:
    return reverse("committee_settings", args=[council.committee.pk])


def save(client, council, **fields):
    data = {"reminder_offsets_hours": ["72", "24"], "chair_reminder_days": "3",
            "material_link_days": "30", "attachment_limit_mb": "5", **fields}  # fmt: skip
    return client.post(settings_url(council), data)


def test_the_secretariat_sees_the_current_settings_from_the_council_page(client, council):
    client.force_login(council.secretariat)
    council_page = client.get(reverse("committee_detail", args=[council.committee.pk]))
    assert settings_url(council) in council_page.content.decode()

    page = client.get(settings_url(council)).content.decode()

    assert "審議会の設定" in page and "3日前" in page and "1日前" in page and "7日前" in page
    assert 'value="72" checked' in page.replace('id="id_reminder_offsets_hours_2" ', "")
    assert 'name="chair_reminder_days" value="3"' in page


def test_changing_the_reminders_is_saved_logged_and_used_by_beat(client, council):
    client.force_login(council.secretariat)

    response = save(client, council, reminder_offsets_hours=["168", "48", "12"],
                    chair_reminder_days="5", show_member_names="on")  # fmt: skip

    assert response.status_code == 302
    committee = Committee.objects.get(pk=council.committee.pk)
    assert committee.reminder_offsets_hours == [168, 48, 12]
    assert committee.chair_reminder_days == 5
    assert committee.show_member_names is True
    entry = AuditEntry.objects.get(action="committee.settings.changed")
    assert entry.actor == council.secretariat
    assert entry.data["reminder_offsets_hours"] == {"from": [72, 24], "to": [168, 48, 12]}
    assert entry.data["chair_reminder_days"] == {"from": 3, "to": 5}
    assert "審議会の設定を保存しました。" in client.get(settings_url(council)).content.decode()


def test_no_reminders_at_all_is_a_choice(client, council):
    client.force_login(council.secretariat)
    save(client, council, reminder_offsets_hours=[])
    assert Committee.objects.get(pk=council.committee.pk).reminder_offsets_hours == []


def test_saving_without_changes_writes_no_audit_entry(client, council):
    client.force_login(council.secretariat)
    save(client, council)
    assert not AuditEntry.objects.filter(action="committee.settings.changed").exists()


@pytest.mark.parametrize(
    ("days", "message"),
    [("0", "1日以上を入力してください。"), ("31", "30日以下を入力してください。"),
     ("みっか", "日数は数字で入力してください。"), ("", "日数を入力してください。")],
)  # fmt: skip
def test_a_wrong_number_of_days_is_explained_and_what_was_typed_stays(
    client, council, days, message
):
    client.force_login(council.secretariat)

    response = save(client, council, reminder_offsets_hours=["120"], chair_reminder_days=days)

    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert 'value="120" checked' in page.replace('id="id_reminder_offsets_hours_1" ', "")
    assert Committee.objects.get(pk=council.committee.pk).chair_reminder_days == 3


def test_a_moment_set_earlier_in_the_admin_stays_offered_and_kept(client, council):
    Committee.objects.filter(pk=council.committee.pk).update(reminder_offsets_hours=[36, 24])
    client.force_login(council.secretariat)
    assert "36時間前" in client.get(settings_url(council)).content.decode()

    save(client, council, reminder_offsets_hours=["36", "24"])

    assert Committee.objects.get(pk=council.committee.pk).reminder_offsets_hours == [36, 24]


def test_a_moment_that_is_not_offered_is_refused(client, council):
    client.force_login(council.secretariat)
    response = save(client, council, reminder_offsets_hours=["1"])
    assert response.status_code == 200
    assert Committee.objects.get(pk=council.committee.pk).reminder_offsets_hours == [72, 24]


def test_the_english_page_speaks_english(client, council):
    client.force_login(council.secretariat)
    client.cookies["django_language"] = "en"
    page = client.get(settings_url(council)).content.decode()
    assert "Council settings" in page and "3 days before" in page


def test_beat_reminds_at_the_new_moments(council):
    import time_machine

    from circulation.jobs.due import run_due_work
    from circulation.models import OutboxMessage
    from portal.services.committees import update_committee_settings
    from tests.circulation.helpers import sent_circulation

    deadline = dt.datetime(2026, 9, 10, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(dt.datetime(2026, 9, 1, 1, 0, tzinfo=dt.UTC), tick=False):
        circulation = sent_circulation(council, deadline=deadline)
    update_committee_settings(council.committee, by=council.secretariat,
                              reminder_offsets_hours=[120], chair_reminder_days=3,
                              show_member_names=False)  # fmt: skip

    run_due_work(now=deadline - dt.timedelta(hours=72))
    assert not OutboxMessage.objects.filter(circulation=circulation, key="72h").exists()
    run_due_work(now=deadline - dt.timedelta(hours=119))
    assert OutboxMessage.objects.filter(circulation=circulation, key="120h").exists()
