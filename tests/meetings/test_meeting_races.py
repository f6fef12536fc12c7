"""Two people (or two beat runs) doing the same thing at the same moment, on PostgreSQL:
one meeting, one change, one reminder per person, one publication."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
import time_machine
from django.db import connection

from circulation.jobs.due import run_due_work
from circulation.mail.meeting import CHANGED, INVITATION, MINUTES, REMINDER
from circulation.models import Circulation, Meeting
from circulation.services.meetings import MeetingRefused, change_meeting, schedule_meeting
from circulation.services.minutes import publish_minutes, upload_minutes
from circulation.uploads.checks import check_upload
from portal.models import AuditEntry, Role
from tests.circulation.files import upload
from tests.circulation.helpers import PDF_BYTES
from tests.factories import MembershipFactory, UserFactory
from tests.meetings.helpers import INVITED, addresses, convened_scene, details, schedule

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*attempts: Callable[[], object]) -> list[str]:
    """Run the attempts at once, each in its own thread and connection."""
    results: list[str] = []
    barrier = threading.Barrier(len(attempts))

    def run(attempt: Callable[[], object]) -> None:
        barrier.wait()
        try:
            attempt()
            results.append("done")
        except MeetingRefused as refused:
            results.append(refused.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(attempt,)) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(results)


@pytest.fixture
def second_secretariat(council):
    person = UserFactory(email="kato@city.example.jp", full_name="加藤 事務局")
    MembershipFactory(user=person, committee=council.committee, role=Role.SECRETARIAT)
    return person


def test_two_secretaries_scheduling_at_once_make_one_meeting(council, second_secretariat):
    scene = convened_scene(council)
    results = race(
        lambda: schedule_meeting(scene.circulation.pk, by=council.secretariat,
                                 details=details(scene)),
        lambda: schedule_meeting(scene.circulation.pk, by=second_secretariat,
                                 details=details(scene, place="第2会議室")),
    )  # fmt: skip
    assert results == ["already_scheduled", "done"]
    assert Meeting.objects.count() == 1
    assert len(addresses(INVITATION)) == len(INVITED) + 1  # the second secretary too


def test_two_changes_of_the_same_version_make_one_change(council, second_secretariat):
    scene = convened_scene(council)
    schedule(council, scene)
    results = race(
        lambda: change_meeting(scene.circulation.pk, by=council.secretariat, base_version=1,
                               details=details(scene, place="第2会議室")),
        lambda: change_meeting(scene.circulation.pk, by=second_secretariat, base_version=1,
                               details=details(scene, place="第3会議室")),
    )  # fmt: skip
    assert results == ["conflict", "done"]
    assert Meeting.objects.get().version == 2
    assert len(addresses(CHANGED)) == len(INVITED) + 1


def test_two_beat_runs_at_once_send_each_reminder_once(council):
    scene = convened_scene(council)
    schedule(council, scene)
    due = (scene.starts_at - dt.timedelta(days=1)).replace(hour=9)

    race(lambda: run_due_work(now=due), lambda: run_due_work(now=due))
    assert addresses(REMINDER) == INVITED
    assert AuditEntry.objects.filter(action="meeting.reminder.queued").count() == 1


def test_two_publications_at_once_publish_and_archive_once(council, second_secretariat):
    scene = convened_scene(council)
    schedule(council, scene)
    after = scene.starts_at + dt.timedelta(hours=3)
    with time_machine.travel(after, tick=False):
        minutes = upload_minutes(scene.circulation.pk, by=council.secretariat,
                                 upload=check_upload(upload("会議録.pdf", PDF_BYTES)))  # fmt: skip

    def publish(by) -> Callable[[], object]:
        return lambda: publish_minutes(scene.circulation.pk, by=by, minutes_id=minutes.pk,
                                       now=after)  # fmt: skip

    assert race(publish(council.secretariat), publish(second_secretariat)) == ["done", "published"]
    assert Circulation.objects.get(pk=scene.circulation.pk).state == Circulation.State.ARCHIVED
    assert AuditEntry.objects.filter(action="circulation.archived").count() == 1
    assert len(addresses(MINUTES)) == len(INVITED) + 1
