"""A reply by mail to a session's invitation (「欠席します」) is held for that council's
secretariat as 会議についての返信, like a reply to a circulation's meeting mail; the member
is told it arrived. (Answering is done by the links; the mail is kept for the secretariat.)"""

from __future__ import annotations

from email.mime.text import MIMEText

import pytest
from django.urls import reverse

from circulation.inbound.service import receive_raw_message
from circulation.mail.meeting import INVITATION
from circulation.models import InboundMessage, OutboxMessage
from tests.sessions.helpers import mails

pytestmark = pytest.mark.django_db


def test_a_reply_to_a_sessions_invitation_reaches_its_secretariat(client, council, session):
    invitation = mails(INVITATION, to_email="tanaka@example.jp")[0]
    reply = MIMEText("欠席します。", "plain", "utf-8")
    reply["From"] = "tanaka@example.jp"
    reply["To"] = "reply@localhost"
    reply["Subject"] = "Re: " + invitation.subject
    reply["Message-ID"] = "<absent-1@example.jp>"
    reply["In-Reply-To"] = invitation.message_id
    message = receive_raw_message(reply.as_bytes(), source="simulate")
    assert (message.state, message.reason) == (
        InboundMessage.State.HELD, InboundMessage.Reason.MEETING
    )  # fmt: skip
    assert message.committee == council.committee and message.circulation is None
    assert OutboxMessage.objects.filter(
        purpose="circulation.mail_reply_held", to_email="tanaka@example.jp"
    ).exists()
    client.force_login(council.secretariat)
    held = client.get(reverse("inbound_list", args=[council.committee.pk])).content.decode()
    assert "会議についての返信" in held
