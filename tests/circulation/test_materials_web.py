"""Opening materials: only for those the circulation concerns, under the original
(Japanese) name, never sniffed, and every opening recorded."""

from __future__ import annotations

import datetime as dt
from urllib.parse import unquote

import pytest
from django.urls import reverse

from circulation.models import Circulation, Material, MaterialOpening
from circulation.services.materials import NewMaterial, store_material
from circulation.services.sending import send_circulation
from circulation.uploads.checks import check_upload
from portal.models import AuditEntry
from tests.circulation import files
from tests.circulation.conftest import JST, START
from tests.circulation.helpers import PDF_BYTES, draft_circulation

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]
DEADLINE = dt.datetime(2026, 9, 10, 17, 0, tzinfo=JST)


def sent(council, *, leave_out=None, extra: list[tuple[str, bytes]] = ()) -> Circulation:
    circulation = draft_circulation(council, deadline=DEADLINE)
    for name, data in extra:
        store_material(
            circulation,
            NewMaterial(title=name, order=2, upload=check_upload(files.upload(name, data))),
            by=council.secretariat,
            now=START,
        )
    if leave_out is not None:
        circulation.recipients.filter(user=leave_out).delete()
    return send_circulation(circulation.pk, by=council.secretariat)


def url(name: str, material: Material) -> str:
    return reverse(name, args=[material.circulation_id, material.pk])


def test_a_member_downloads_a_material_under_its_japanese_name(client, council):
    circulation = sent(council)
    material = circulation.materials.get()
    tanaka = council.members[0]
    client.force_login(tanaka)
    response = client.get(url("material_download", material))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert "filename*=UTF-8''" in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "議事録.pdf"
    assert 'filename="material.pdf"' in disposition  # ASCII fallback for old clients
    recipient = circulation.recipients.get(user=tanaka)
    assert recipient.first_opened_at == START
    assert MaterialOpening.objects.filter(material=material, user=tanaka).count() == 1
    entry = AuditEntry.objects.get(action="circulation.material.downloaded")
    assert entry.actor == tanaka and entry.object_id == str(material.pk)


def test_the_first_opening_is_kept_when_opening_again(client, council, clock):
    circulation = sent(council)
    material = circulation.materials.get()
    client.force_login(council.members[0])
    client.get(url("material_download", material))
    clock.shift(dt.timedelta(minutes=30))
    client.get(url("material_view", material))
    recipient = circulation.recipients.get(user=council.members[0])
    assert recipient.first_opened_at == START
    assert MaterialOpening.objects.count() == 2
    assert AuditEntry.objects.filter(action="circulation.material.viewed").count() == 1


def test_pdf_images_and_text_open_in_the_browser_office_files_download(client, council):
    circulation = sent(council, extra=[("メモ.txt", files.SJIS_TEXT),
                                       ("報告.docx", files.ooxml("docx"))])  # fmt: skip
    client.force_login(council.members[0])
    pdf, text, docx = circulation.materials.order_by("order", "id")
    response = client.get(url("material_view", pdf))
    assert response["Content-Disposition"].startswith("inline; ")
    response = client.get(url("material_view", text))
    assert response["Content-Type"] == "text/plain; charset=shift_jis"
    assert response["Content-Disposition"].startswith("inline; ")
    assert "sandbox" in response["Content-Security-Policy"]
    response = client.get(url("material_view", docx))
    assert response["Content-Disposition"].startswith("attachment; ")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_secretariat_and_the_implementing_body_may_download_without_being_recipients(
    client, council, implementing_body
):
    circulation = sent(council)
    material = circulation.materials.get()
    for person in (council.secretariat, implementing_body):
        client.force_login(person)
        assert client.get(url("material_download", material)).status_code == 200
    assert not MaterialOpening.objects.exists()  # only recipients' openings are tracked
    assert AuditEntry.objects.filter(action="circulation.material.downloaded").count() == 2


@pytest.mark.parametrize("who", ["outsider", "other_secretariat", "former_member", "left_out"])
def test_people_the_circulation_does_not_concern_get_not_found(client, council, who):
    circulation = sent(council, leave_out=council.members[2])
    material = circulation.materials.get()
    person = {
        "outsider": council.outsider,
        "other_secretariat": council.other_secretariat,
        "former_member": council.former_member,
        "left_out": council.members[2],  # 伊藤: a member, but not a recipient of this one
    }[who]
    client.force_login(person)
    assert client.get(url("material_download", material)).status_code == 404
    assert client.get(url("material_view", material)).status_code == 404
    assert not MaterialOpening.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, council):
    material = sent(council).materials.get()
    response = client.get(url("material_download", material))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_a_material_is_only_found_under_its_own_circulation(client, council):
    first = sent(council)
    other = draft_circulation(council, deadline=DEADLINE)
    send_circulation(other.pk, by=council.secretariat)
    client.force_login(council.members[0])
    material = first.materials.get()
    response = client.get(reverse("material_download", args=[other.pk, material.pk]))
    assert response.status_code == 404


def test_a_material_taken_out_of_the_draft_is_not_circulated(client, council):
    circulation = draft_circulation(council, deadline=DEADLINE)
    withdrawn = circulation.materials.get()
    store_material(
        circulation,
        NewMaterial(
            title="差し替え", order=1, upload=check_upload(files.upload("新.pdf", PDF_BYTES))
        ),
        by=council.secretariat,
        now=START,
    )
    Material.objects.filter(pk=withdrawn.pk).update(is_current=False)
    send_circulation(circulation.pk, by=council.secretariat)
    client.force_login(council.members[0])
    assert client.get(url("material_download", withdrawn)).status_code == 404
    client.force_login(council.secretariat)
    assert client.get(url("material_download", withdrawn)).status_code == 200
