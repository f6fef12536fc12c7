"""A council's approved disposal (廃棄) of a year of its audit log, as the application's role
(PostgreSQL): the portal removes that year through `kairan_dispose_audit_entries` although
the role may not DELETE an entry itself; the function refuses a range inside the retention
period, whoever calls it; the disposal is logged."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import psycopg
import pytest
import time_machine
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from portal import audit
from portal.models import AuditEntry
from portal.retention.models import DisposalItem, RetentionPolicy
from portal.retention.services import approve_disposal, list_due
from tests.security.test_audit_roles import RETENTION_DAYS, app_role, connect_as  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
JST = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def old_year(council):
    """The council's log of FY2015 (one entry) and one entry of today."""
    RetentionPolicy.objects.create(committee=council.committee, audit_years=5)
    with time_machine.travel(dt.datetime(2015, 9, 1, 10, 0, tzinfo=JST), tick=False):
        old = audit.record("committee.settings.changed", obj=council.committee)
    fresh = audit.record("committee.settings.changed", obj=council.committee)
    return old, fresh


def test_the_approved_disposal_of_a_councils_year_works_as_the_application_role(
    app_role,  # noqa: F811
    council,
    old_year,
):
    old, fresh = old_year
    list_due()
    item = DisposalItem.objects.get(committee=council.committee, kind="audit", key="2015")
    with connection.cursor() as cursor:
        cursor.execute(f'SET ROLE "{app_role}"')
    try:
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            AuditEntry.objects.filter(pk=old.pk).delete()  # not by itself
        [disposed] = approve_disposal(council.committee, by=council.secretariat, item_ids=[item.pk])
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert disposed.removed["rows"] == {"audit_entry": 1}
    assert not AuditEntry.objects.filter(pk=old.pk).exists()
    assert AuditEntry.objects.filter(pk=fresh.pk).exists()
    assert AuditEntry.objects.filter(action="retention.disposed").exists()


def test_the_disposal_function_refuses_a_range_inside_the_retention_period(
    app_role,  # noqa: F811
    council,
    old_year,
):
    old, fresh = old_year
    stop = timezone.now() - dt.timedelta(days=RETENTION_DAYS - 1)
    refused = pytest.raises(psycopg.errors.InsufficientPrivilege, match="are kept")
    with connect_as(app_role) as session, refused:
        session.execute(
            "SELECT kairan_dispose_audit_entries(%s, %s, %s)",
            [council.committee.pk, dt.datetime(2000, 1, 1, tzinfo=dt.UTC), stop],
        )
    assert AuditEntry.objects.filter(pk__in=[old.pk, fresh.pk]).count() == 2
