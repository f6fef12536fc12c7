"""Personas shared by every test: one council with its secretariat, chair, acting chair and
members, a member whose term has ended, an outsider, and a second council.

Dates: terms are two years around today; tests freeze time with time_machine where the
moment matters.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.utils import timezone

from portal.models import Committee, Role, User
from tests.content_version import ContentVersionWatch
from tests.factories import CommitteeFactory, MembershipFactory, UserFactory

COUNCIL_NAME = "住民基本台帳ネットワークシステム管理運用審議会"


@dataclass
class Council:
    committee: Committee
    secretariat: User  # 事務局 佐藤
    chair: User  # 会長 山田
    acting_chair: User  # 職務代理者 鈴木
    members: list[User]  # 委員 田中, 高橋, 伊藤
    former_member: User  # 任期満了 渡辺
    outsider: User  # どの審議会にも属さない 小林
    other_committee: Committee
    other_secretariat: User  # 別の審議会の事務局 中村


@pytest.fixture(autouse=True)
def _media_and_mail_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.KAIRAN_MAIL_DIR = tmp_path / "mail"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.KAIRAN_REQUIRE_MFA_FOR_SECRETARIAT = False
    # Fast hashing: the personas are created for almost every test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # allauth's rate-limit counters live in the cache: no test inherits another's.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _due_work_runs_in_the_test(request, monkeypatch):
    """Beat's tick hands each piece of due work to a task (circulation/jobs/due.py); here
    those tasks run in the test's own process, one after another, so that a test calling
    run_due_work() sees their effect and the report says what they did. Tests of the
    hand-over itself are marked `hand_over` and publish for real."""
    if request.node.get_closest_marker("hand_over"):
        return
    from circulation.jobs import due, tasks

    def run(task_name, pk, moment):
        task = next(t for t in vars(tasks).values() if getattr(t, "name", None) == task_name)
        return task.apply((pk, moment.isoformat())).get()

    # Closes handed over ahead of their moment (a Celery ETA in production) wait here until a
    # later run of due work reaches that moment, then run first.
    waiting: list[tuple[str, int, object]] = []

    def run_here(task_name, ids, now):
        for call in sorted((c for c in waiting if c[2] <= now), key=lambda c: c[2]):
            waiting.remove(call)
            run(*call)
        return [run(task_name, pk, now) for pk in ids]

    def wait_here(task_name, calls):
        waiting.extend((task_name, pk, moment) for pk, moment in calls)

    monkeypatch.setattr(due, "hand_over", run_here)
    monkeypatch.setattr(due, "hand_over_at", wait_here)


@pytest.fixture(autouse=True)
def content_version_watch() -> Iterator[ContentVersionWatch]:
    """Fails a test in which a request changed a sent circulation's materials, questions or
    answers without moving its content version (tests/content_version.py)."""
    watch = ContentVersionWatch()
    watch.connect()
    yield watch
    watch.disconnect()
    assert not watch.failures, "\n".join(watch.failures)


@pytest.fixture
def council(db) -> Council:
    today = timezone.localdate()
    term = {
        "term_start": today - dt.timedelta(days=200),
        "term_end": today + dt.timedelta(days=530),
    }
    committee = CommitteeFactory(name=COUNCIL_NAME)
    people = {
        "secretariat": UserFactory(email="sato@city.example.jp", full_name="佐藤 事務局"),
        "chair": UserFactory(email="yamada@example.jp", full_name="山田 会長"),
        "acting_chair": UserFactory(email="suzuki@example.jp", full_name="鈴木 代理"),
    }
    MembershipFactory(
        user=people["secretariat"], committee=committee, role=Role.SECRETARIAT, **term
    )
    MembershipFactory(user=people["chair"], committee=committee, role=Role.CHAIR, **term)
    MembershipFactory(
        user=people["acting_chair"], committee=committee, role=Role.ACTING_CHAIR, **term
    )
    members = [
        UserFactory(email="tanaka@example.jp", full_name="田中 委員"),
        UserFactory(email="takahashi@example.jp", full_name="高橋 委員"),
        UserFactory(email="ito@example.jp", full_name="伊藤 委員"),
    ]
    for member in members:
        MembershipFactory(user=member, committee=committee, role=Role.MEMBER, **term)
    former = UserFactory(email="watanabe@example.jp", full_name="渡辺 前委員")
    MembershipFactory(
        user=former,
        committee=committee,
        role=Role.MEMBER,
        term_start=today - dt.timedelta(days=900),
        term_end=today - dt.timedelta(days=170),
    )
    outsider = UserFactory(email="kobayashi@example.jp", full_name="小林 部外者")
    other = CommitteeFactory(name="情報公開審査会")
    other_secretariat = UserFactory(email="nakamura@city.example.jp", full_name="中村 事務局")
    MembershipFactory(user=other_secretariat, committee=other, role=Role.SECRETARIAT, **term)
    return Council(
        committee=committee,
        members=members,
        former_member=former,
        outsider=outsider,
        other_committee=other,
        other_secretariat=other_secretariat,
        **people,
    )


def _postgres_available() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://…")
    skip_redis = pytest.mark.skip(reason="needs Redis: set REDIS_URL=redis://…")
    for item in items:
        if "postgres" in item.keywords and not _postgres_available():
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not os.environ.get("REDIS_URL"):
            item.add_marker(skip_redis)
