"""The demo's way to try a mail reply locally: `manage.py simulate_mail_reply`."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from circulation.models import InboundMessage

pytestmark = pytest.mark.django_db


def simulate(*args: str) -> str:
    out = io.StringIO()
    call_command("simulate_mail_reply", *args, stdout=out)
    return out.getvalue()


def test_a_simulated_reply_is_recorded_like_a_real_one(circulation, tanaka, notice, during):
    output = simulate("--to", "tanaka@example.jp", "--circulation", str(circulation.pk),
                      "--text", "第3項の表現を改めてください。\n\n審議が必要")  # fmt: skip
    assert "回答として記録" in output
    reply = tanaka.replies.get()
    assert (reply.kind, reply.opinion, reply.meeting_needed, reply.channel) == (
        "opinion", "第3項の表現を改めてください。", True, "mail",
    )  # fmt: skip
    raw = bytes(InboundMessage.objects.get().raw)
    assert f"In-Reply-To: {notice.message_id}".encode() in raw  # threaded to the notice
    assert b"To: reply+" in raw


def test_a_simulated_reply_to_the_plain_address_is_held_not_recorded(
    circulation, tanaka, notice, during
):
    output = simulate("--to", "tanaka@example.jp", "--circulation", str(circulation.pk),
                      "--plain")  # fmt: skip
    assert "保留" in output and "個人用の返信アドレスを使っていない返信" in output
    assert not tanaka.replies.exists()
    assert InboundMessage.objects.get().circulation == circulation  # the thread tells which


def test_a_simulated_reply_from_another_address_is_held(circulation, tanaka, during):
    output = simulate("--to", "tanaka@example.jp", "--circulation", str(circulation.pk),
                      "--from", "someone-else@example.jp")  # fmt: skip
    assert "保留" in output
    assert not tanaka.replies.exists()


def test_simulating_for_someone_who_is_not_a_recipient_says_so(circulation, during):
    with pytest.raises(CommandError, match="not a recipient"):
        simulate("--to", "kobayashi@example.jp", "--circulation", str(circulation.pk))
