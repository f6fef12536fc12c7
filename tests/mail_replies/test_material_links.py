"""Members who only use mail read the materials without logging in: the notice carries their
own signed link to each file (or the files themselves, when the council attaches them),
valid until the circulation is decided plus the council's number of days, revoked with the
member's other links, never for another member, not after the member's term; every
download audited (via link, with the IP)."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.core.files.base import ContentFile

from circulation.mail import composing, delivery
from circulation.mail.tokens import revoke_tokens
from circulation.models import Material, OutboxMessage
from circulation.services.closing import close_circulation
from circulation.services.decisions import decide
from circulation.services.materials import correct_material
from circulation.uploads.checks import check_upload
from portal.models import AuditEntry, Membership
from tests.circulation.helpers import PDF_BYTES, sent_circulation

pytestmark = pytest.mark.django_db


def material_links(row: OutboxMessage) -> list[str]:
    return [urlsplit(url).path for url in re.findall(r"https?://\S+/c/m/[^/\s]+/", row.body_text)]


@pytest.fixture
def link(notice) -> str:
    (found,) = material_links(notice)
    return found


def test_the_notice_links_each_material_for_its_recipient(notice, circulation):
    assert "資料(リンクを開くと、ログインせずにご覧いただけます)" in notice.body_text
    assert "  - 議事録(案)\n    http" in notice.body_text
    assert "資料はログインしてご覧ください" not in notice.body_text
    others = OutboxMessage.objects.filter(purpose="circulation.notice").exclude(pk=notice.pk)
    assert all(material_links(other) != material_links(notice) for other in others)
    assert material_links(notice)[0] in notice.body_html


def test_the_link_opens_the_material_without_logging_in(client, link, tanaka, during):
    page = client.get(link)
    assert page.status_code == 200
    html = page.content.decode()
    assert "議事録(案)" in html and "議事録.pdf" in html and "資料をダウンロードする" in html
    assert not AuditEntry.objects.filter(action="circulation.material.downloaded").exists()
    tanaka.refresh_from_db()
    assert tanaka.first_opened_at is None  # a GET (a mail scanner) opens nothing

    response = client.post(link, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Disposition"].startswith("attachment;")
    entry = AuditEntry.objects.get(action="circulation.material.downloaded")
    assert (entry.actor, entry.actor_label, entry.ip) == (None, "tanaka@example.jp", "203.0.113.9")
    assert entry.data["via"] == "link"
    tanaka.refresh_from_db()
    assert tanaka.first_opened_at is not None  # the tracking page shows it opened


def test_the_link_works_after_the_deadline_until_the_days_after_the_decision(
    client, link, circulation, council, when
):
    council.committee.material_link_days = 10
    council.committee.save(update_fields=["material_link_days"])
    with time_machine.travel(when["after"], tick=False):
        close_circulation(circulation.pk, now=when["after"])
        assert client.get(link).status_code == 200  # closed: still readable
        decide(circulation.pk, convene=False, reason="意見なしのため", by=council.chair)
        page = client.get(link)
        assert page.status_code == 200
        assert "まで使えます" in page.content.decode()
    with time_machine.travel(when["after"] + dt.timedelta(days=9, hours=23), tick=False):
        assert client.post(link).status_code == 200
    with time_machine.travel(when["after"] + dt.timedelta(days=10, hours=1), tick=False):
        expired = client.post(link)
    assert expired.status_code == 410
    assert "有効期間が過ぎました" in expired.content.decode()
    assert AuditEntry.objects.filter(action="circulation.link.refused",
                                     data__reason="expired").exists()  # fmt: skip


def test_the_link_expires_with_the_token_age(client, link, circulation, settings, when):
    settings.KAIRAN_TOKEN_MAX_AGE_DAYS = 1
    with time_machine.travel(when["during"] + dt.timedelta(days=2), tick=False):
        assert client.get(link).status_code == 410


def test_revoking_the_members_links_revokes_the_material_links(
    client, link, tanaka, council, during
):
    revoke_tokens(tanaka.pk, by=council.secretariat)
    page = client.post(link)
    assert page.status_code == 410
    assert "事務局によって無効にされています" in page.content.decode()
    assert not AuditEntry.objects.filter(action="circulation.material.downloaded").exists()


def test_another_member_signed_in_cannot_use_the_link(client, link, council, during):
    client.force_login(council.members[1])
    page = client.post(link)
    assert page.status_code == 403
    assert "いまログインしている" in page.content.decode()
    refused = AuditEntry.objects.get(action="circulation.link.refused")
    assert (refused.actor, refused.data["reason"]) == (council.members[1], "other_user")


def test_the_member_signed_in_may_use_their_own_link(client, link, council, during):
    client.force_login(council.members[0])
    assert client.post(link).status_code == 200


def test_a_changed_link_is_refused(client, link, during):
    forged = link[:-6] + ("AAAAA/" if not link.endswith("AAAAA/") else "BBBBB/")
    assert client.get(forged).status_code == 404


def test_after_the_members_term_the_link_no_longer_works(client, link, tanaka, during):
    Membership.objects.filter(user=tanaka.user, committee=tanaka.circulation.committee).update(
        term_end=dt.date.today() - dt.timedelta(days=1)
    )
    page = client.get(link)
    assert page.status_code == 403
    assert "ログインすると引き続きご覧いただけます" in page.content.decode()


def test_the_corrected_material_mail_links_the_new_version(
    client, link, circulation, council, tanaka, during
):
    client.post(link)  # 田中 opened the material: the correction is mailed to them
    old = circulation.materials.get()
    upload = check_upload(ContentFile(PDF_BYTES + b"%v2", name="議事録v2.pdf"))
    new = correct_material(old.pk, by=council.secretariat, upload=upload, change_note="誤記訂正")
    corrected = OutboxMessage.objects.get(purpose="circulation.material_corrected",
                                          to_email="tanaka@example.jp")  # fmt: skip
    (new_link,) = material_links(corrected)
    assert client.get(new_link).status_code == 200
    assert new.original_name in client.get(new_link).content.decode()
    # The old version's link still opens what was sent, and says it was corrected.
    assert "この資料は訂正されています" in client.get(link).content.decode()


def test_the_reply_link_pages_link_the_materials_too(client, notice, during):
    from tests.mail_replies.test_links import links_in

    page = client.get(links_in(notice)["reply"]).content.decode()
    assert "/c/m/" in page and "資料は、ログインせずに開けます。" in page


def test_a_council_may_attach_the_materials_within_its_limit(council, when):
    council.committee.attach_materials = True
    council.committee.attachment_limit_mb = 1
    council.committee.save(update_fields=["attach_materials", "attachment_limit_mb"])
    with time_machine.travel(when["sent"], tick=False):
        circulation = sent_circulation(council, deadline=when["deadline"])
    row = OutboxMessage.objects.get(purpose="circulation.notice", to_email="tanaka@example.jp")
    material = circulation.materials.get()
    assert row.attachments == [material.pk]
    assert "資料(このメールに添付しています)" in row.body_text
    assert "/c/m/" not in row.body_text
    delivery.deliver(row.pk)
    sent = mail.outbox[-1]
    assert sent.attachments == [("議事録.pdf", PDF_BYTES, "application/pdf")]
    parsed = sent.message()
    assert parsed.get_content_type() == "multipart/mixed"
    raw = composing.build_email(row).message().as_bytes()  # what the relay gets: the file too
    assert b"application/pdf" in raw and b"Message-ID: " + row.message_id.encode() in raw


def test_materials_over_the_limit_are_linked_instead(council, when):
    council.committee.attach_materials = True
    council.committee.attachment_limit_mb = 1
    council.committee.save(update_fields=["attach_materials", "attachment_limit_mb"])
    with time_machine.travel(when["sent"], tick=False):
        circulation = sent_circulation(council, deadline=when["deadline"])
    Material.objects.filter(circulation=circulation).update(size=2 * 1024 * 1024)
    from circulation.mail.circulation import notice

    mail_ = notice(circulation.recipients.first(), list(circulation.materials.all()))
    assert mail_.attachments == ()
    assert mail_.context["material_links"]
