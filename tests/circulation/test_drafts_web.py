"""The secretariat (佐藤) prepares a circulation on the web: draft, materials, edit,
preview, send or discard — and nobody else can."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from circulation.models import Circulation, Material, OutboxMessage
from portal.models import AuditEntry
from tests.circulation import files
from tests.circulation.helpers import PDF_BYTES, draft_circulation
from tests.circulation.web import draft_data, existing_rows

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def sitting_ids(council) -> list[int]:
    return [council.chair.pk, council.acting_chair.pk] + [m.pk for m in council.members]


def kept_tokens(body: str) -> list[str]:
    return re.findall(r'name="new-\d+-stash" value="([^"]+)"', body)


def test_the_new_draft_form_offers_the_sitting_members_all_ticked(client, council):
    client.force_login(council.secretariat)
    response = client.get(reverse("circulation_create", args=[council.committee.pk]))
    body = response.content.decode()
    for label in ("件名", "説明", "回答期限", "送付先", "資料ファイル", "資料名"):
        assert label in body
    for person in [council.chair, council.acting_chair, *council.members]:
        assert re.search(rf'value="{person.pk}"[^>]*checked', body), person.full_name
    assert "渡辺" not in body  # term ended
    assert "佐藤" not in body.split("送付先")[1].split("</fieldset>")[0]  # not a member


def test_secretariat_creates_a_draft_with_two_materials_and_a_japan_time_deadline(
    client, council, settings
):
    settings.TIME_ZONE = "UTC"  # the server's zone must not change what 17:00 means
    client.force_login(council.secretariat)
    recipients = sitting_ids(council)[:-1]  # 伊藤 unticked
    response = client.post(
        reverse("circulation_create", args=[council.committee.pk]),
        draft_data(
            recipients=recipients,
            files=[
                (files.upload("議事録(案).pdf", PDF_BYTES), "議事録(案)"),
                (files.upload("監査報告.docx", files.ooxml("docx")), ""),
            ],
        ),
    )
    circulation = Circulation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("circulation_edit", args=[circulation.pk])
    assert circulation.state == Circulation.State.DRAFT
    assert circulation.deadline == dt.datetime(2026, 9, 10, 8, 0, tzinfo=dt.UTC)
    assert set(circulation.recipients.values_list("user_id", flat=True)) == set(recipients)
    materials = list(circulation.materials.order_by("order"))
    assert [m.title for m in materials] == ["議事録(案)", "監査報告"]  # name used if blank
    assert materials[0].original_name == "議事録(案).pdf"
    assert "議事録" not in materials[0].file.name  # stored under a server-generated name
    assert materials[0].size == len(PDF_BYTES)
    entry = AuditEntry.objects.get(action="circulation.created")
    assert entry.actor == council.secretariat
    assert entry.data["materials"] == ["議事録(案).pdf", "監査報告.docx"]


def test_a_refused_file_is_named_and_everything_else_is_kept_for_the_next_try(client, council):
    client.force_login(council.secretariat)
    url = reverse("circulation_create", args=[council.committee.pk])
    response = client.post(
        url,
        draft_data(
            title="監査報告の確認",
            recipients=sitting_ids(council)[:2],
            files=[
                (files.upload("議事録.pdf", PDF_BYTES), "議事録"),
                (files.upload("請求書.pdf", files.HTML), "請求書"),
            ],
        ),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "「請求書.pdf」は受け付けられません" in body
    assert "HTML" in body
    assert 'value="監査報告の確認"' in body
    assert "2026-09-10" in body and 'value="17:00"' in body
    assert re.search(rf'value="{council.chair.pk}"[^>]*checked', body)
    assert not re.search(rf'value="{council.members[0].pk}"[^>]*checked', body)
    assert "受け付け済みのファイル: 議事録.pdf" in body
    assert Circulation.objects.count() == 0
    # Next try: nothing re-selected, the kept file comes along by its token.
    (token,) = kept_tokens(body)
    response = client.post(
        url,
        draft_data(
            title="監査報告の確認",
            recipients=sitting_ids(council)[:2],
            kept=[(token, "議事録")],
        ),
    )
    assert response.status_code == 302
    material = Material.objects.get()
    assert material.original_name == "議事録.pdf"
    assert material.file.read() == PDF_BYTES


def test_a_missing_title_keeps_the_accepted_file(client, council):
    client.force_login(council.secretariat)
    response = client.post(
        reverse("circulation_create", args=[council.committee.pk]),
        draft_data(title="", files=[(files.upload("議事録.pdf", PDF_BYTES), "議事録")]),
    )
    body = response.content.decode()
    assert 'aria-invalid="true"' in body and 'id="id_title-error"' in body
    assert len(kept_tokens(body)) == 1


def test_a_kept_file_token_of_another_person_is_not_honoured(client, council):
    client.force_login(council.other_secretariat)
    other_url = reverse("circulation_create", args=[council.other_committee.pk])
    body = client.post(
        other_url, draft_data(title="", files=[(files.upload("秘密.pdf", PDF_BYTES), "秘密")])
    ).content.decode()
    (token,) = kept_tokens(body)
    client.force_login(council.secretariat)
    response = client.post(
        reverse("circulation_create", args=[council.committee.pk]),
        draft_data(kept=[(token, "秘密")]),
    )
    assert response.status_code == 200
    assert "もう一度選んでください" in response.content.decode()
    assert Material.objects.count() == 0


def test_a_deadline_in_the_past_is_refused_with_the_field_marked(client, council):
    client.force_login(council.secretariat)
    response = client.post(
        reverse("circulation_create", args=[council.committee.pk]),
        draft_data(date="2026-09-01", time="09:00"),
    )
    body = response.content.decode()
    assert "回答期限は現在より後の日時にしてください" in body
    assert 'id="id_deadline_date-error"' in body
    assert Circulation.objects.count() == 0


def test_more_materials_than_the_cap_are_refused(client, council, settings):
    settings.KAIRAN_MAX_MATERIALS = 2
    client.force_login(council.secretariat)
    uploads = [(files.upload(f"資料{i}.pdf", PDF_BYTES), f"資料{i}") for i in range(3)]
    response = client.post(
        reverse("circulation_create", args=[council.committee.pk]),
        draft_data(files=uploads, rows=3),
    )
    assert response.status_code == 200
    assert "2件まで" in response.content.decode()
    assert Circulation.objects.count() == 0


def test_editing_reorders_renames_removes_and_adds_materials(client, council):
    circulation = draft_circulation(council)
    first = circulation.materials.get()
    client.force_login(council.secretariat)
    rows = existing_rows(circulation)
    rows[0].update(order=5, title="議事録(修正案)")
    response = client.post(
        reverse("circulation_edit", args=[circulation.pk]),
        draft_data(
            title="改題",
            recipients=sitting_ids(council),
            revision=1,
            existing=rows,
            files=[(files.upload("補足.txt", files.UTF8_TEXT), "補足")],
        ),
    )
    assert response.status_code == 302
    circulation.refresh_from_db()
    assert circulation.title == "改題"
    assert circulation.revision == 2
    current = list(circulation.materials.filter(is_current=True).order_by("order"))
    assert [m.title for m in current] == ["議事録(修正案)", "補足"]
    assert current[1].order == 6  # after the last one
    # Remove the first one: it leaves the draft but stays on record.
    rows = existing_rows(circulation)
    rows[0].update(remove=True, title="")  # a blank title does not stand in the way
    client.post(
        reverse("circulation_edit", args=[circulation.pk]),
        draft_data(recipients=sitting_ids(council), revision=2, existing=rows),
    )
    first.refresh_from_db()
    assert first.is_current is False
    assert Material.objects.filter(pk=first.pk).exists()
    edited = AuditEntry.objects.filter(action="circulation.edited").first()
    assert edited.data["materials_removed"] == ["議事録.pdf"]


def test_a_second_editor_is_told_and_nothing_is_overwritten(client, council):
    circulation = draft_circulation(council)
    url = reverse("circulation_edit", args=[circulation.pk])
    client.force_login(council.secretariat)
    # Both editors loaded revision 1; the first saves.
    client.post(url, draft_data(title="佐藤の件名", recipients=sitting_ids(council),
                                revision=1, existing=existing_rows(circulation)))  # fmt: skip
    response = client.post(
        url,
        draft_data(title="もう一人の件名", recipients=sitting_ids(council), revision=1,
                   existing=existing_rows(circulation)),
    )  # fmt: skip
    body = response.content.decode()
    circulation.refresh_from_db()
    assert circulation.title == "佐藤の件名"
    assert "別の人が変更しました" in body
    assert "佐藤の件名" in body  # what is stored
    assert 'value="もう一人の件名"' in body  # what they typed
    assert 'name="revision" value="2"' in body
    # Having seen both, they save again on purpose.
    client.post(url, draft_data(title="もう一人の件名", recipients=sitting_ids(council),
                                revision=2, existing=existing_rows(circulation)))  # fmt: skip
    circulation.refresh_from_db()
    assert circulation.title == "もう一人の件名"


def test_preview_shows_the_member_page_without_a_reply_form(client, council):
    circulation = draft_circulation(council)
    client.force_login(council.secretariat)
    body = client.get(reverse("circulation_preview", args=[circulation.pk])).content.decode()
    assert "プレビュー" in body
    assert circulation.title in body
    assert "<p>議事録をご確認ください。</p>" in body  # markdown rendered
    assert "議事録(案)" in body
    assert "資料を開くと、開いた日時が記録され" in body
    assert "回答を送信</button>" not in body
    assert "送付する</button>" in body


def test_sending_from_the_preview_opens_the_circulation(client, council):
    circulation = draft_circulation(council)
    client.force_login(council.secretariat)
    response = client.post(reverse("circulation_send", args=[circulation.pk]), {"revision": "1"})
    assert response["Location"] == reverse("circulation_tracking", args=[circulation.pk])
    circulation.refresh_from_db()
    assert circulation.state == Circulation.State.OPEN
    assert OutboxMessage.objects.filter(purpose="circulation.notice").count() == 5
    # Sent: the draft form is closed.
    response = client.get(reverse("circulation_edit", args=[circulation.pk]))
    assert response["Location"] == reverse("circulation_tracking", args=[circulation.pk])


def test_send_refused_is_shown_and_nothing_is_sent(client, council):
    circulation = draft_circulation(council)
    circulation.materials.update(is_current=False)
    client.force_login(council.secretariat)
    response = client.post(
        reverse("circulation_send", args=[circulation.pk]), {"revision": "1"}, follow=True
    )
    assert "資料がありません" in response.content.decode()
    circulation.refresh_from_db()
    assert circulation.state == Circulation.State.DRAFT
    assert not OutboxMessage.objects.exists()


def test_a_draft_changed_after_the_preview_is_not_sent(client, council):
    circulation = draft_circulation(council)
    Circulation.objects.filter(pk=circulation.pk).update(revision=2)
    client.force_login(council.secretariat)
    response = client.post(
        reverse("circulation_send", args=[circulation.pk]), {"revision": "1"}, follow=True
    )
    assert "もう一度確認してから送付" in response.content.decode()
    circulation.refresh_from_db()
    assert circulation.state == Circulation.State.DRAFT


def test_discarding_keeps_everything_and_is_audited(client, council):
    circulation = draft_circulation(council)
    client.force_login(council.secretariat)
    url = reverse("circulation_discard", args=[circulation.pk])
    assert "破棄する</button>" in client.get(url).content.decode()
    response = client.post(url)
    assert response["Location"] == reverse("committee_circulations", args=[council.committee.pk])
    circulation.refresh_from_db()
    assert circulation.state == Circulation.State.DISCARDED
    assert circulation.materials.count() == 1 and circulation.recipients.count() == 5
    assert AuditEntry.objects.filter(action="circulation.discarded", actor=council.secretariat)
    listing = client.get(response["Location"]).content.decode()
    assert '破棄 <span class="count">(1)</span>' in listing


def test_the_committee_list_counts_circulations_by_state(client, council):
    draft_circulation(council, title="下書きの件")
    from tests.circulation.helpers import sent_circulation

    sent_circulation(council, title="送付済みの件")
    client.force_login(council.secretariat)
    body = client.get(
        reverse("committee_circulations", args=[council.committee.pk])
    ).content.decode()
    assert '下書き <span class="count">(1)</span>' in body
    assert '回答受付中 <span class="count">(1)</span>' in body
    assert "0 / 5" in body  # replied / recipients of the open one


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("outsider", 404),
        ("other_secretariat", 404),
        ("former_member", 404),
        ("member", 403),
        ("chair", 403),
        ("implementing_body", 403),
    ],
)
def test_only_the_committees_secretariat_manages_its_circulations(
    client, council, implementing_body, who, status
):
    person = {
        "outsider": council.outsider,
        "other_secretariat": council.other_secretariat,
        "former_member": council.former_member,
        "member": council.members[0],
        "chair": council.chair,
        "implementing_body": implementing_body,
    }[who]
    client.force_login(person)
    committee = council.committee.pk
    for name in ("committee_circulations", "circulation_create"):
        assert client.get(reverse(name, args=[committee])).status_code == status
    response = client.post(reverse("circulation_create", args=[committee]), draft_data())
    assert response.status_code == status
    assert Circulation.objects.count() == 0


@pytest.mark.parametrize("who", ["outsider", "other_secretariat", "member", "implementing_body"])
def test_nobody_but_the_secretariat_sees_or_touches_a_draft(
    client, council, implementing_body, who
):
    circulation = draft_circulation(council)
    person = {
        "outsider": council.outsider,
        "other_secretariat": council.other_secretariat,
        "member": council.members[0],
        "implementing_body": implementing_body,
    }[who]
    client.force_login(person)
    for name in ("circulation_edit", "circulation_preview", "circulation_discard",
                 "circulation_detail"):  # fmt: skip
        assert client.get(reverse(name, args=[circulation.pk])).status_code == 404
    material = circulation.materials.get()
    download = reverse("material_download", args=[circulation.pk, material.pk])
    assert client.get(download).status_code == 404
    assert client.post(reverse("circulation_send", args=[circulation.pk]),
                       {"revision": "1"}).status_code == 404  # fmt: skip
    assert client.post(reverse("circulation_discard", args=[circulation.pk])).status_code == 404
    circulation.refresh_from_db()
    assert circulation.state == Circulation.State.DRAFT
