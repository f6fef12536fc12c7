"""Two secretariat members saving the same draft at the same moment (real PostgreSQL):
exactly one edit lands; the other is told, never silently overwritten."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from circulation.models import Circulation
from circulation.services.drafts import DraftConflict, DraftContent, update_draft
from portal.models import Role
from tests.circulation.helpers import draft_circulation, sent_circulation
from tests.factories import MembershipFactory, UserFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_editors_saving_one_revision_at_once_one_wins_one_is_told(council):
    circulation = draft_circulation(council)
    colleague = UserFactory(email="ishii@city.example.jp", full_name="石井 事務局")
    MembershipFactory(user=colleague, committee=council.committee, role=Role.SECRETARIAT)
    recipients = list(circulation.recipients.values_list("user_id", flat=True))
    outcomes: dict[str, str] = {}
    barrier = threading.Barrier(2)

    def save(editor, title: str) -> None:
        content = DraftContent(title=title, explanation="", deadline=circulation.deadline,
                               recipient_ids=recipients)  # fmt: skip
        barrier.wait()
        try:
            update_draft(circulation.pk, by=editor, revision=1, content=content)
            outcomes[title] = "saved"
        except DraftConflict:
            outcomes[title] = "conflict"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=(council.secretariat, "佐藤の件名")),
        threading.Thread(target=save, args=(colleague, "石井の件名")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    circulation = Circulation.objects.get(pk=circulation.pk)
    winner = next(title for title, outcome in outcomes.items() if outcome == "saved")
    assert (circulation.title, circulation.revision) == (winner, 2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_tabs_replying_on_one_version_at_once_one_is_saved_one_is_told(council):
    """The reply service's locked read (circulation/gate_reads.py) makes the second wait and
    then see the first one's reply: a conflict, never a lost reply nor a duplicate version."""
    from circulation.models import Recipient, Reply
    from circulation.services.replies import ReplyConflict, submit_reply

    circulation = sent_circulation(council)
    receipt = Recipient.objects.get(circulation=circulation, user=council.members[0])
    outcomes: dict[str, str] = {}
    barrier = threading.Barrier(2)

    def reply(opinion: str) -> None:
        barrier.wait()
        try:
            submit_reply(recipient=receipt, kind=Reply.Kind.OPINION, opinion=opinion,
                         meeting_needed=False, base_version=0)  # fmt: skip
            outcomes[opinion] = "saved"
        except ReplyConflict:
            outcomes[opinion] = "conflict"
        finally:
            connection.close()

    threads = [threading.Thread(target=reply, args=(text,)) for text in ("賛成", "反対")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == ["conflict", "saved"]
    winner = next(text for text, outcome in outcomes.items() if outcome == "saved")
    receipt.refresh_from_db()
    assert receipt.current_reply.opinion == winner
    assert receipt.replies.count() == 1
