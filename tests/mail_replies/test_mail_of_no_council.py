"""Held mail that belongs to no council (an address nobody is registered with, to the plain
reply address, no thread of ours) is seen by the site's staff only — Django's is_staff or
is_superuser, who run the installation — never by every council's secretariat. The staff
read it, hand it to the council it belongs to, or discard it; every step is audited."""

from __future__ import annotations

import pytest
import time_machine

from circulation.models import InboundMessage
from portal.models import AuditEntry
from tests.factories import UserFactory
from tests.mail_replies.conftest import receive_via_mta

pytestmark = pytest.mark.django_db
S = InboundMessage.State


@pytest.fixture
def staff(db):
    return UserFactory(email="admin@city.example.jp", full_name="情報政策課 管理者", is_staff=True)


@pytest.fixture
def stray(when) -> InboundMessage:
    raw = (
        "From: someone@unknown.example\nTo: reply@reply.localhost\nSubject: 資料について\n"
        "Message-ID: <stray-1@unknown.example>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="b"\n\n--b\n'
        "Content-Type: text/plain; charset=utf-8\n\n"
        "住民基本台帳の審議会宛てです。意見があります。\n"
        "--b\nContent-Type: text/plain; charset=utf-8\n"
        'Content-Disposition: attachment; filename="memo.txt"\n\nmemo\n--b--\n'
    ).encode()
    with time_machine.travel(when["during"], tick=False):
        return receive_via_mta(raw)


def test_the_site_staff_see_it_and_no_secretariat_does(client, council, staff, stray):
    assert (stray.state, stray.committee) == (S.UNMATCHED, None)
    client.force_login(staff)
    assert 'href="/c/mail/no-council/"' in client.get("/").content.decode()  # in the menu
    page = client.get("/c/mail/no-council/")
    assert page.status_code == 200 and "someone@unknown.example" in page.content.decode()
    detail = client.get(f"/c/mail/no-council/{stray.pk}/")
    assert "住民基本台帳の審議会宛てです。" in detail.content.decode()
    councils = [(council.secretariat, council.committee),
                (council.other_secretariat, council.other_committee)]  # fmt: skip
    for secretariat, committee in councils:
        client.force_login(secretariat)
        listing = client.get(f"/c/committee/{committee.pk}/mail/").content.decode()
        assert "someone@unknown.example" not in listing
        assert client.get(f"/c/committee/{committee.pk}/mail/{stray.pk}/").status_code == 404
        assert client.get("/c/mail/no-council/").status_code == 404
        assert client.get(f"/c/mail/no-council/{stray.pk}/").status_code == 404
    refused = AuditEntry.objects.filter(action="access.refused", object_id=str(stray.pk))
    assert refused.exists()


def test_the_staff_hand_it_to_the_council_it_belongs_to(client, council, staff, stray):
    client.force_login(staff)
    empty = client.post(f"/c/mail/no-council/{stray.pk}/hand-over/", {})
    assert empty.status_code == 400 and "審議会を選んでください。" in empty.content.decode()
    done = client.post(f"/c/mail/no-council/{stray.pk}/hand-over/",
                       {"committee": council.committee.pk})  # fmt: skip
    assert done.status_code == 302
    stray.refresh_from_db()
    assert stray.committee == council.committee
    entry = AuditEntry.objects.get(action="circulation.inbound.handed_over")
    assert (entry.actor, entry.committee) == (staff, council.committee)
    # Now that council's secretariat has it, and the staff's list no longer does.
    assert "someone@unknown.example" not in client.get("/c/mail/no-council/").content.decode()
    client.force_login(council.secretariat)
    listing = client.get(f"/c/committee/{council.committee.pk}/mail/").content.decode()
    assert "someone@unknown.example" in listing
    client.force_login(council.other_secretariat)
    other = client.get(f"/c/committee/{council.other_committee.pk}/mail/").content.decode()
    assert "someone@unknown.example" not in other


def test_the_staff_discard_it_and_download_its_attachment(client, staff, stray):
    client.force_login(staff)
    attachment = stray.attachments.get()
    response = client.get(f"/c/mail/no-council/attachment/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert AuditEntry.objects.filter(action="circulation.inbound.attachment_downloaded",
                                     actor=staff).exists()  # fmt: skip
    assert client.post(f"/c/mail/no-council/{stray.pk}/discard/").status_code == 302
    stray.refresh_from_db()
    assert (stray.state, stray.handled_by) == (S.DISCARDED, staff)
    assert bytes(stray.raw)  # kept
    entry = AuditEntry.objects.get(action="circulation.inbound.discarded")
    assert (entry.actor, entry.committee) == (staff, None)


def test_a_registered_members_mail_stays_with_their_councils(client, council, staff, feed):
    from_member = feed("plain_no_reference.eml")  # from 田中, no token, no thread
    assert from_member.committee is None and from_member.sender_user == council.members[0]
    client.force_login(staff)
    assert "tanaka@example.jp" not in client.get("/c/mail/no-council/").content.decode()
    client.force_login(council.secretariat)
    listing = client.get(f"/c/committee/{council.committee.pk}/mail/").content.decode()
    assert "tanaka@example.jp" in listing
