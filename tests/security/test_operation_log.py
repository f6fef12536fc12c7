"""The operation log (操作記録) holds the whole process: every step of a circulation from
sending to the decision record, mail in, and the people around it — each with who, what
object, and, where a browser was involved, its IP address and user agent. What happens
without a request (the closing at the deadline, mail arriving) is logged without them."""

from __future__ import annotations

import datetime as dt
from email.mime.text import MIMEText

import pytest
from django.test import Client
from django.urls import reverse

from circulation.inbound.service import receive_raw_message
from circulation.models import Circulation, Material, OutboxMessage, Question
from circulation.services.closing import close_circulation
from portal.models import AuditEntry
from tests.circulation.conftest import JST, clock  # noqa: F401  (frozen Japan time)
from tests.circulation.helpers import draft_circulation
from tests.circulation.web import reply_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]
PASSWORD = "correct horse battery"


def browser(name: str, ip: str) -> Client:
    return Client(HTTP_USER_AGENT=f"{name}'s browser", REMOTE_ADDR=ip)


def signed_in(person, ip: str) -> Client:
    """Through the login form, so that the login itself is logged from that browser."""
    client = browser(person.full_name, ip)
    response = client.post(reverse("account_login"), {"login": person.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def the(action: str, **filters) -> AuditEntry:
    found = AuditEntry.objects.filter(action=action, **filters)
    assert found.count() >= 1, f"{action} {filters} was not logged"
    return found.latest("id")


def from_browser(entry: AuditEntry, person, ip: str) -> None:
    assert entry.actor == person, entry.action
    assert entry.ip == ip, entry.action
    assert entry.user_agent == f"{person.full_name}'s browser", entry.action


def mail_reply(notice: OutboxMessage, sender: str, text: str) -> bytes:
    mail = MIMEText(text, "plain", "utf-8")
    mail["From"] = sender
    mail["To"] = notice.reply_to
    mail["Subject"] = "Re: " + notice.subject
    mail["Message-ID"] = "<walk-reply@example.jp>"
    return mail.as_bytes()


def test_the_whole_process_is_in_the_operation_log(council, clock):  # noqa: F811
    sato, chair = council.secretariat, council.chair
    tanaka, takahashi = council.members[0], council.members[1]
    circulation = draft_circulation(council)
    material = Material.objects.get(circulation=circulation)

    # 佐藤 sends.
    office = signed_in(sato, "192.0.2.1")
    from_browser(the("account.login", actor=sato), sato, "192.0.2.1")
    office.post(reverse("circulation_send", args=[circulation.pk]), {"revision": "1"})
    from_browser(the("circulation.sent", object_id=str(circulation.pk)), sato, "192.0.2.1")

    # 田中 reads the circulation and opens and downloads its material, then replies.
    home = signed_in(tanaka, "198.51.100.2")
    home.get(reverse("circulation_detail", args=[circulation.pk]))
    viewed = the("circulation.viewed", actor=tanaka)
    from_browser(viewed, tanaka, "198.51.100.2")
    assert viewed.object_id == str(circulation.pk) and viewed.committee == council.committee
    home.get(reverse("material_view", args=[circulation.pk, material.pk]))
    home.get(reverse("material_download", args=[circulation.pk, material.pk]))
    for action in ("circulation.material.viewed", "circulation.material.downloaded"):
        entry = the(action, object_id=str(material.pk))
        from_browser(entry, tanaka, "198.51.100.2")
    home.post(reverse("circulation_reply", args=[circulation.pk]),
              reply_data("opinion", "第3項に修正が必要です。", "yes"))  # fmt: skip
    replied = the("circulation.reply.submitted", actor=tanaka)
    from_browser(replied, tanaka, "198.51.100.2")

    # 高橋 asks; 佐藤 answers and extends the deadline.
    other_home = signed_in(takahashi, "198.51.100.3")
    other_home.post(reverse("question_ask", args=[circulation.pk]), {"text": "第3項とは?"})
    question = Question.objects.get()
    from_browser(the("circulation.question.asked", object_id=str(question.pk)), takahashi,
                 "198.51.100.3")  # fmt: skip
    office.post(reverse("question_answer", args=[circulation.pk, question.pk]),
                {f"answer-{question.pk}-text": "2頁目です。"})  # fmt: skip
    from_browser(the("circulation.question.answered"), sato, "192.0.2.1")
    office.post(
        reverse("circulation_extend", args=[circulation.pk]),
        {"deadline_date": "2026-09-17", "deadline_time": "17:00", "reason": "質疑のため"},
    )
    from_browser(the("circulation.deadline.extended"), sato, "192.0.2.1")
    office.get(reverse("circulation_tracking", args=[circulation.pk]))
    assert the("circulation.viewed", actor=sato).data["page"] == "tracking"

    # 高橋 replies by mail: no browser, the sender's address is the actor's label.
    notice = OutboxMessage.objects.get(purpose="circulation.notice", to_email=takahashi.email)
    receive_raw_message(mail_reply(notice, takahashi.email, "意見なし"), source="mta")
    inbound = the("circulation.inbound.recorded")
    assert inbound.actor_label == takahashi.email and inbound.ip is None
    assert inbound.committee == council.committee

    # Someone who is not concerned tries to look: refused, logged.
    stranger = signed_in(council.outsider, "203.0.113.66")
    assert stranger.get(reverse("circulation_detail", args=[circulation.pk])).status_code == 404
    refused = the("access.refused", actor=council.outsider)
    from_browser(refused, council.outsider, "203.0.113.66")
    assert refused.object_id == str(circulation.pk)

    # The clock closes it at the deadline: no person, no browser.
    clock.move_to(dt.datetime(2026, 9, 17, 17, 0, 30, tzinfo=JST))
    assert close_circulation(circulation.pk)
    closed = the("circulation.closed", object_id=str(circulation.pk))
    assert closed.actor is None and closed.ip is None

    # The chair decides; the record is read and exported.
    clock.move_to(dt.datetime(2026, 9, 18, 10, 0, tzinfo=JST))
    chairs_desk = signed_in(chair, "198.51.100.4")
    chairs_desk.get(reverse("circulation_decision", args=[circulation.pk]))
    assert the("circulation.viewed", actor=chair).data["page"] == "decision"
    chairs_desk.post(reverse("circulation_decision", args=[circulation.pk]),
                     {"convene": "yes", "reason": "修正意見があるため開催します。",
                      "confirmed": "1"})  # fmt: skip
    assert Circulation.objects.get(pk=circulation.pk).state == Circulation.State.DECIDED
    from_browser(the("circulation.decided", object_id=str(circulation.pk)), chair, "198.51.100.4")
    office = signed_in(sato, "192.0.2.1")  # days later: the idle session has expired
    office.get(reverse("decision_record", args=[circulation.pk]))
    assert the("circulation.viewed", actor=sato).data["page"] == "record"
    office.get(reverse("decision_record_csv", args=[circulation.pk]))
    from_browser(the("circulation.record.exported"), sato, "192.0.2.1")

    # The secretariat reads and exports the log: that is logged too.
    office.get(reverse("audit_log"))
    office.get(reverse("audit_log_export"))
    from_browser(the("audit.viewed"), sato, "192.0.2.1")
    from_browser(the("audit.exported"), sato, "192.0.2.1")
    home = signed_in(tanaka, "198.51.100.2")
    home.post(reverse("account_logout"))
    from_browser(the("account.logout", actor=tanaka), tanaka, "198.51.100.2")

    # Every entry about this circulation carries its committee, for the secretariat's view
    # (a mail is stored raw before anyone knows which circulation it answers).
    about = AuditEntry.objects.filter(action__startswith="circulation.").exclude(
        action="circulation.inbound.received"
    )
    assert not about.filter(committee__isnull=True).exists()
