"""Races on real PostgreSQL: two secretariat members saving the same draft at the same moment
(exactly one edit lands; the other is told, never silently overwritten), two tabs replying,
and a send, a correction or a question handled while another change to the same circulation
commits (each waits for it and then decides on what is true)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import connection, transaction

from circulation.models import Circulation, Material, OutboxMessage, Question
from circulation.services.closing import close_circulation
from circulation.services.drafts import DraftConflict, DraftContent, update_draft
from circulation.services.materials import CorrectionRefused, correct_material
from circulation.services.questions import QuestionRefused, ask_question
from circulation.services.sending import SendRefused, send_circulation
from circulation.uploads.checks import check_upload
from portal.models import Role
from tests.circulation import files
from tests.circulation.helpers import PDF_BYTES, draft_circulation, sent_circulation
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
    """The reply service's locked read (services/replies.py) makes the second wait and
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


# --- A change that commits while another request is deciding on the same circulation --------


def _hold_until_someone_waits(work, *, ready: threading.Event, timeout: float = 5.0) -> None:
    """Run `work` in a transaction and keep it open until another connection waits for one
    of its row locks (or `timeout` passes), then commit. A caller that takes the lock is
    thereby seen to wait; one that does not goes ahead on the old row (the bug)."""
    try:
        with transaction.atomic():
            work()
            ready.set()
            deadline = time.monotonic() + timeout
            with connection.cursor() as cursor:
                while time.monotonic() < deadline:
                    cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                    if cursor.fetchone()[0]:
                        break
                    time.sleep(0.02)
    finally:
        connection.close()


def _race(holder, waiter) -> dict[str, object]:
    """`holder` changes the circulation and holds its transaction; `waiter` runs meanwhile."""
    ready = threading.Event()
    outcome: dict[str, object] = {}

    def wait_then_act() -> None:
        ready.wait(5)
        try:
            outcome["result"] = waiter()
        except Exception as exc:  # the refusal under test
            outcome["refused"] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=_hold_until_someone_waits, args=(holder,), kwargs={"ready": ready}),
        threading.Thread(target=wait_then_act),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcome


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_send_waits_for_an_edit_in_flight_and_refuses_the_changed_draft(council):
    """The preview showed revision 1; a colleague's save commits while 送付する is being
    handled: the send must not go out with content nobody previewed."""
    circulation = draft_circulation(council)
    recipients = list(circulation.recipients.values_list("user_id", flat=True))
    content = DraftContent(title="差し替えた件名", explanation="", deadline=circulation.deadline,
                           recipient_ids=recipients)  # fmt: skip

    outcome = _race(
        lambda: update_draft(circulation.pk, by=council.secretariat, revision=1, content=content),
        lambda: send_circulation(circulation.pk, by=council.secretariat, revision=1),
    )

    assert isinstance(outcome.get("refused"), SendRefused), outcome
    circulation = Circulation.objects.get(pk=circulation.pk)
    assert (circulation.state, circulation.revision) == (Circulation.State.DRAFT, 2)
    assert not OutboxMessage.objects.filter(purpose="circulation.notice").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_correction_waits_for_a_close_in_flight_and_is_refused(council):
    circulation = sent_circulation(council)
    material = circulation.materials.get()
    upload = check_upload(files.upload("修正版.pdf", PDF_BYTES + b"%fix"))
    at_deadline = circulation.deadline + dt.timedelta(seconds=1)

    outcome = _race(
        lambda: close_circulation(circulation.pk, now=at_deadline),
        lambda: correct_material(
            material.pk, by=council.secretariat, upload=upload, change_note="訂正"
        ),
    )

    assert isinstance(outcome.get("refused"), CorrectionRefused), outcome
    assert Material.objects.filter(circulation=circulation).count() == 1
    assert not OutboxMessage.objects.filter(purpose="circulation.material_corrected").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_question_asked_as_the_deadline_closes_waits_and_is_refused(council):
    """Asked a moment before the deadline, handled while the close commits: refused (the
    close's summary is already on its way), never a question on a closed circulation."""
    circulation = sent_circulation(council)
    just_before = circulation.deadline - dt.timedelta(seconds=1)
    at_deadline = circulation.deadline + dt.timedelta(seconds=1)

    outcome = _race(
        lambda: close_circulation(circulation.pk, now=at_deadline),
        lambda: ask_question(
            circulation.pk, by=council.members[0], text="第3項は?", now=just_before
        ),
    )

    assert isinstance(outcome.get("refused"), QuestionRefused), outcome
    assert not Question.objects.filter(circulation=circulation).exists()
