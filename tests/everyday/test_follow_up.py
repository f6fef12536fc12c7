"""The secretariat following a circulation up: 「この書面照会を複製」, 「未回答の委員に督促する」,
the tracking table downloaded as CSV and .xlsx, each member's mail, and the warning when a
deadline leaves no time for the council's reminders."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from circulation.models import Circulation, OutboxMessage, ReminderNow
from circulation.services.drafts import discard_circulation
from circulation.services.duplicate import DuplicateRefused, duplicate_circulation
from circulation.services.remind_now import RemindRefused, remind_now
from circulation.services.replies import submit_reply
from portal.models import AuditEntry, Membership, Role
from tests.circulation.helpers import PDF_BYTES, draft_circulation, sent_circulation
from tests.everyday.helpers import failed_mail
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
JST = zoneinfo.ZoneInfo("Asia/Tokyo")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def answer(circulation, user, kind="no_opinion", opinion="", meeting=False) -> None:
    submit_reply(recipient=circulation.recipients.get(user=user), kind=kind, opinion=opinion,
                 meeting_needed=meeting, submitted_by=user)  # fmt: skip


def end_term(user) -> None:
    Membership.objects.filter(user=user).update(term_end=timezone.localdate() - dt.timedelta(1))


# --- 「この書面照会を複製」 ----------------------------------------------------------------------


def test_a_copy_is_a_draft_with_the_title_explanation_and_todays_sitting_members(
    council, time_machine
):
    now = timezone.now()
    time_machine.move_to(now - dt.timedelta(days=30), tick=False)
    source = sent_circulation(council, deadline=timezone.now() + dt.timedelta(days=7))
    time_machine.move_to(now, tick=False)
    # Since then: 伊藤's term ended and 森 joined the council.
    end_term(council.members[2])
    mori = UserFactory(email="mori@example.jp", full_name="森 新委員")
    MembershipFactory(user=mori, committee=council.committee, role=Role.MEMBER,
                      term_start=timezone.localdate())  # fmt: skip
    done = duplicate_circulation(source.pk, by=council.secretariat, with_materials=True)
    copy = done.draft
    assert copy.state == Circulation.State.DRAFT and copy.pk != source.pk
    assert (copy.title, copy.explanation) == (source.title, source.explanation)
    assert done.everyone is True
    names = set(copy.recipients.values_list("user__full_name", flat=True))
    assert names == {"山田 会長", "鈴木 代理", "田中 委員", "高橋 委員", "森 新委員"}
    # The same span and time of day, from today.
    assert copy.deadline.astimezone(JST).time() == source.deadline.astimezone(JST).time()
    assert (copy.deadline.astimezone(JST).date() - timezone.localdate()).days == 7
    material = copy.materials.get()
    original = source.materials.get()
    assert material.file.name != original.file.name
    assert material.file.read() == PDF_BYTES
    assert (material.title, material.sha256) == (original.title, original.sha256)
    entry = AuditEntry.objects.get(action="circulation.duplicated")
    assert entry.object_id == str(copy.pk) and entry.data["source"] == source.pk
    assert not OutboxMessage.objects.filter(circulation=copy).exists()  # nothing is sent


def test_a_copy_of_a_chosen_few_keeps_those_who_still_sit_and_may_leave_the_materials(
    council, time_machine
):
    now = timezone.now()
    time_machine.move_to(now - dt.timedelta(days=30), tick=False)
    draft = draft_circulation(council)
    draft.recipients.exclude(user__in=council.members[:2]).delete()
    from circulation.services.sending import send_circulation

    source = send_circulation(draft.pk, by=council.secretariat)
    time_machine.move_to(now, tick=False)
    end_term(council.members[1])
    done = duplicate_circulation(source.pk, by=council.secretariat, with_materials=False)
    assert done.everyone is False
    assert list(done.draft.recipients.values_list("user__full_name", flat=True)) == ["田中 委員"]
    assert done.left_out == ["高橋 委員"]
    assert not done.draft.materials.exists()


def test_a_discarded_draft_is_not_copied(council):
    draft = draft_circulation(council)
    discard_circulation(draft.pk, by=council.secretariat)
    with pytest.raises(DuplicateRefused):
        duplicate_circulation(draft.pk, by=council.secretariat, with_materials=True)


def test_the_secretariat_copies_from_the_tracking_page_and_lands_on_the_new_draft(council):
    source = sent_circulation(council)
    sato = signed_in(council.secretariat)
    tracking = sato.get(reverse("circulation_tracking", args=[source.pk])).content.decode()
    duplicate_url = reverse("circulation_duplicate", args=[source.pk])
    assert f'<a href="{duplicate_url}">この書面照会を複製</a>' in tracking
    page = sato.get(duplicate_url).content.decode()
    assert '<button type="submit">この書面照会を複製</button>' in page
    assert 'name="with_materials"' in page and "checked" in page
    response = sato.post(duplicate_url, {"with_materials": "on"})
    copy = Circulation.objects.exclude(pk=source.pk).get()
    assert response["Location"] == reverse("circulation_edit", args=[copy.pk])
    assert copy.materials.count() == 1


# --- 「未回答の委員に督促する」 -------------------------------------------------------------------


def test_reminding_now_mails_those_who_have_not_replied_once_per_interval(council, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    circulation = sent_circulation(council)
    answer(circulation, council.members[0])
    sent = remind_now(circulation.pk, by=council.secretariat)
    reminded = sorted(OutboxMessage.objects.filter(purpose="circulation.reminder", key="now-1")
                      .values_list("to_email", flat=True))  # fmt: skip
    assert reminded == ["ito@example.jp", "suzuki@example.jp", "takahashi@example.jp",
                        "yamada@example.jp"]  # fmt: skip
    assert sent.recipients == 4 and sent.sent_by == council.secretariat
    entry = AuditEntry.objects.get(action="circulation.reminder.sent_now")
    assert len(entry.data["recipients"]) == 4
    # Again within the council's interval (24 hours): refused, logged, nothing sent.
    time_machine.shift(dt.timedelta(hours=23))
    with pytest.raises(RemindRefused, match="24時間に1回まで"):
        remind_now(circulation.pk, by=council.secretariat)
    refused = AuditEntry.objects.get(action="circulation.reminder.refused")
    assert refused.result == AuditEntry.Result.REFUSED and refused.data["reason"] == "too_soon"
    assert OutboxMessage.objects.filter(purpose="circulation.reminder").count() == 4
    # After it, those who still have not replied get a second one.
    answer(circulation, council.members[1])
    time_machine.shift(dt.timedelta(hours=1, minutes=1))
    remind_now(circulation.pk, by=council.secretariat)
    assert OutboxMessage.objects.filter(purpose="circulation.reminder", key="now-2").count() == 3
    assert ReminderNow.objects.count() == 2


def test_the_interval_is_the_councils(council, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    council.committee.reminder_now_interval_hours = 2
    council.committee.save()
    circulation = sent_circulation(council)
    remind_now(circulation.pk, by=council.secretariat)
    time_machine.shift(dt.timedelta(hours=2))
    remind_now(circulation.pk, by=council.secretariat)
    assert ReminderNow.objects.count() == 2


def test_no_reminder_to_a_closed_circulation_nor_when_all_have_replied(council):
    circulation = sent_circulation(council)
    for person in (council.chair, council.acting_chair, *council.members):
        answer(circulation, person)
    with pytest.raises(RemindRefused, match="未回答の委員はいません"):
        remind_now(circulation.pk, by=council.secretariat)
    Circulation.objects.filter(pk=circulation.pk).update(state=Circulation.State.CLOSED)
    with pytest.raises(RemindRefused, match="回答受付中の書面照会だけ"):
        remind_now(circulation.pk, by=council.secretariat)
    assert not OutboxMessage.objects.filter(purpose="circulation.reminder").exists()


def test_a_member_whose_term_ended_is_not_reminded(council):
    circulation = sent_circulation(council)
    end_term(council.members[2])
    remind_now(circulation.pk, by=council.secretariat)
    reminded = set(OutboxMessage.objects.filter(purpose="circulation.reminder")
                   .values_list("to_email", flat=True))  # fmt: skip
    assert "ito@example.jp" not in reminded and "tanaka@example.jp" in reminded


def test_the_tracking_page_offers_the_button_then_shows_the_reminder_sent(council):
    circulation = sent_circulation(council)
    sato = signed_in(council.secretariat)
    url = reverse("circulation_tracking", args=[circulation.pk])
    page = sato.get(url).content.decode()
    remind_url = reverse("circulation_remind_now", args=[circulation.pk])
    assert f'action="{remind_url}"' in page
    assert ">未回答の委員に督促する</button>" in page
    response = sato.post(remind_url, follow=True)
    page = response.content.decode()
    assert "未回答の委員5人に督促のメールを送ります。" in page
    assert "佐藤 事務局 が未回答の委員5人に督促しました。" in page
    assert ">未回答の委員に督促する</button>" not in page  # not again within 24 hours
    assert "次は" in page and "から送れます" in page


# --- Downloads ------------------------------------------------------------------------------


def test_the_tracking_table_downloads_as_csv_that_excel_reads_as_utf8(council):
    circulation = sent_circulation(council)
    answer(circulation, council.members[0], "opinion", "=SUM(A1)\n2行目", meeting=True)
    response = signed_in(council.secretariat).get(
        reverse("circulation_tracking_csv", args=[circulation.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["委員", "役割", "メールアドレス"]
    by_name = {row[0]: row for row in rows[1:]}
    assert len(by_name) == 5
    tanaka = by_name["田中 委員"]
    assert tanaka[6:9] == ["意見あり", "審議が必要", "'=SUM(A1)\n2行目"]  # never a formula
    assert by_name["伊藤 委員"][6] == "未回答"
    assert AuditEntry.objects.get(action="circulation.reads.tracking.exported").data == {
        "format": "csv", "rows": 5}  # fmt: skip


def test_the_tracking_table_downloads_as_xlsx(council):
    circulation = sent_circulation(council)
    answer(circulation, council.members[0], "opinion", "=1+1", meeting=False)
    response = signed_in(council.secretariat).get(
        reverse("circulation_tracking_xlsx", args=[circulation.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"].endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "委員" and len(rows) == 6
    tanaka = next(row for row in rows if row[0] == "田中 委員")
    assert tanaka[6:9] == ("意見あり", "審議は不要", "=1+1")
    cell = next(c for c in sheet["I"] if c.value == "=1+1")
    assert cell.data_type == "s"  # text, not a formula
    submitted = tanaka[9]
    assert isinstance(submitted, dt.datetime)  # a date Excel sorts, in Japan time
    reply = circulation.recipients.get(user=council.members[0]).current_reply
    in_japan = reply.submitted_at.astimezone(JST).replace(tzinfo=None)
    assert abs(submitted - in_japan) < dt.timedelta(seconds=1)


# --- Each member's mail ----------------------------------------------------------------------


def test_each_members_row_links_to_the_mail_queued_for_them_with_its_state(council):
    circulation = sent_circulation(council)
    tanaka = council.members[0]
    failed_mail(circulation, tanaka)
    recipient = circulation.recipients.get(user=tanaka)
    sato = signed_in(council.secretariat)
    tracking = sato.get(reverse("circulation_tracking", args=[circulation.pk])).content.decode()
    mail_url = reverse("circulation_recipient_mail", args=[circulation.pk, recipient.pk])
    assert f'href="{mail_url}"' in tracking
    page = sato.get(mail_url).content.decode()
    assert "書面照会の通知" in page
    assert "送信待ち" in page or "送信済み" in page
    assert "送信失敗" in page and "550 mailbox unavailable" in page
    assert "takahashi@example.jp" not in page  # only 田中's


# --- The warning before sending ---------------------------------------------------------------


def test_a_deadline_too_close_for_any_reminder_is_warned_before_sending(council):
    soon = draft_circulation(council, deadline=timezone.now() + dt.timedelta(hours=20))
    later = draft_circulation(council, deadline=timezone.now() + dt.timedelta(hours=30))
    sato = signed_in(council.secretariat)
    for name in ("circulation_edit", "circulation_preview"):
        page = sato.get(reverse(name, args=[soon.pk])).content.decode()
        assert "この回答期限では、自動の督促が送られません。" in page, name
        assert "回答期限の72時間前、回答期限の24時間前" in page
        # The 24-hour reminder still fits 30 hours ahead.
        page = sato.get(reverse(name, args=[later.pk])).content.decode()
        assert "自動の督促が送られません" not in page, name


def test_the_council_sets_the_interval_on_its_settings_page(council):
    sato = signed_in(council.secretariat)
    url = reverse("committee_settings", args=[council.committee.pk])
    assert 'name="reminder_now_interval_hours" value="24"' in sato.get(url).content.decode()
    data = {"reminder_offsets_hours": ["72", "24"], "chair_reminder_days": "3",
            "material_link_days": "30", "attachment_limit_mb": "5",
            "reminder_now_interval_hours": "6"}  # fmt: skip
    assert sato.post(url, data).status_code == 302
    council.committee.refresh_from_db()
    assert council.committee.reminder_now_interval_hours == 6
    entry = AuditEntry.objects.get(action="committee.settings.changed")
    assert entry.data["reminder_now_interval_hours"] == {"from": 24, "to": 6}
    refused = sato.post(url, {**data, "reminder_now_interval_hours": "0"}).content.decode()
    assert "1時間以上を入力してください。" in refused
    assert 'id="error-summary"' in refused
