"""The Django admin is usable for people, committees and memberships, and can read the
audit log but never add to, change or delete it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from portal import audit
from portal.models import AuditEntry, Membership, Role, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, council):
    admin = UserFactory(email="admin@city.example.jp", full_name="管理者", is_staff=True)
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    return client


@pytest.mark.parametrize("model", ["user", "committee", "membership", "auditentry"])
def test_the_admin_lists_people_committees_memberships_and_the_log(admin_client, model):
    assert admin_client.get(reverse(f"admin:portal_{model}_changelist")).status_code == 200


def test_people_and_committees_can_be_added_and_edited(admin_client, council):
    assert admin_client.get(reverse("admin:portal_user_add")).status_code == 200
    assert admin_client.get(reverse("admin:portal_committee_add")).status_code == 200
    url = reverse("admin:portal_user_change", args=[council.members[0].pk])
    assert admin_client.get(url).status_code == 200


def test_the_audit_log_cannot_be_added_changed_or_deleted(admin_client, council):
    entry = audit.record("account.login", actor=council.members[0], obj=council.members[0])
    assert admin_client.get(reverse("admin:portal_auditentry_add")).status_code == 403
    change = reverse("admin:portal_auditentry_change", args=[entry.pk])
    page = admin_client.get(change)
    assert page.status_code == 200  # view only
    assert b'name="_save"' not in page.content
    response = admin_client.post(change, {"action": "forged"})
    assert response.status_code == 403
    delete = reverse("admin:portal_auditentry_delete", args=[entry.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    response = admin_client.post(
        reverse("admin:portal_auditentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    entry.refresh_from_db()
    assert entry.action == "account.login"
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_admin_refuses_a_second_chair_and_audits_what_it_saves(admin_client, council):
    today = timezone.localdate()
    kimura = UserFactory(email="kimura@example.jp", full_name="木村")
    data = {
        "user": kimura.pk,
        "committee": council.committee.pk,
        "role": Role.CHAIR,
        "term_start": today.isoformat(),
        "term_end": (today + dt.timedelta(days=700)).isoformat(),
    }
    response = admin_client.post(reverse("admin:portal_membership_add"), data)
    assert response.status_code == 200
    assert "すでに会長がいます" in response.content.decode()
    assert not Membership.objects.filter(user=kimura).exists()

    data["role"] = Role.MEMBER
    response = admin_client.post(reverse("admin:portal_membership_add"), data)
    assert response.status_code == 302
    added = Membership.objects.get(user=kimura)
    entry = AuditEntry.objects.get(action="admin.membership.added")
    assert entry.object_id == str(added.pk)
    assert entry.actor == User.objects.get(email="admin@city.example.jp")


def test_memberships_are_not_deleted_in_the_admin(admin_client, council):
    membership = Membership.objects.get(user=council.members[0])
    url = reverse("admin:portal_membership_delete", args=[membership.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()
