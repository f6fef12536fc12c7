"""People, committees, memberships with roles and terms, and the append-only audit log."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password) if password else user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in by mail address; roles come from memberships, per committee."""

    email = models.EmailField(_("メールアドレス"), unique=True)
    full_name = models.CharField(_("氏名"), max_length=100)
    language = models.CharField(
        _("言語"), max_length=8, choices=[("ja", "日本語"), ("en", "English")], default="ja"
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # When the person first opened the privacy notice (操作記録について); until then a
    # banner on every page asks them to read it.
    privacy_notice_seen_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name


class Role(models.TextChoices):
    SECRETARIAT = "secretariat", _("事務局")
    CHAIR = "chair", _("会長")
    ACTING_CHAIR = "acting_chair", _("職務代理者")
    MEMBER = "member", _("委員")
    IMPLEMENTING_BODY = "implementing_body", _("実施機関")


# Roles whose holders sit on the council: they receive circulations and reply.
SITTING_ROLES = (Role.CHAIR, Role.ACTING_CHAIR, Role.MEMBER)
# Roles of which a committee has at most one holder on any day.
SINGLE_SEAT_ROLES = (Role.CHAIR, Role.ACTING_CHAIR)


def default_reminder_offsets() -> list[int]:
    return [72, 24]


class Quorum(models.TextChoices):
    """定足数: how many of the sitting members must be present for a session to be held."""

    MORE_THAN_HALF = "more_than_half", _("委員の過半数")
    HALF_OR_MORE = "half_or_more", _("委員の半数以上")
    TWO_THIRDS = "two_thirds", _("委員の3分の2以上")


class Committee(models.Model):
    """A council (審議会)."""

    name = models.CharField(_("名称"), max_length=200, unique=True)
    # Hours before the deadline at which members who have not replied get a reminder.
    reminder_offsets_hours = models.JSONField(
        _("督促の時期(期限の何時間前)"), default=default_reminder_offsets
    )
    chair_reminder_days = models.PositiveSmallIntegerField(
        _("会長への督促(締切後の日数)"), default=3
    )
    show_member_names = models.BooleanField(_("質問者の氏名を委員に表示する"), default=False)
    # The secretariat's 「未回答の委員に督促する」: at most once in this many hours per
    # circulation, so that a double click or an impatient week does not flood the members.
    reminder_now_interval_hours = models.PositiveSmallIntegerField(
        _("今すぐの督促の間隔(時間)"), default=24
    )
    chair_absent = models.BooleanField(_("会長不在(職務代理者が判断する)"), default=False)
    # The secretariat's contact, named in every mail of the council.
    contact_department = models.CharField(_("事務局の担当部署"), max_length=100, blank=True)
    contact_phone = models.CharField(_("事務局の電話番号"), max_length=40, blank=True)
    contact_email = models.EmailField(_("事務局のメールアドレス"), blank=True)
    # Members who only use mail: the notice's links to each material work until the
    # circulation is decided and this many days more (circulation/mail/material_tokens.py).
    material_link_days = models.PositiveSmallIntegerField(
        _("資料のリンクの有効期間(決定後の日数)"), default=30
    )
    # Attach the materials to the notice instead of linking them, up to this total size.
    attach_materials = models.BooleanField(_("資料を通知メールに添付する"), default=False)
    attachment_limit_mb = models.PositiveSmallIntegerField(
        _("添付する資料の合計の上限(MB)"), default=5
    )
    quorum = models.CharField(
        _("会議の定足数"), max_length=20, choices=Quorum.choices, default=Quorum.MORE_THAN_HALF
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(QuerySet["Membership"]):
    def on(self, day: dt.date) -> MembershipQuerySet:
        """Memberships whose term covers the day (term_end is the last day served)."""
        return self.filter(Q(term_end__isnull=True) | Q(term_end__gte=day), term_start__lte=day)

    def current(self) -> MembershipQuerySet:
        return self.on(timezone.localdate())

    def sitting(self) -> MembershipQuerySet:
        return self.filter(role__in=SITTING_ROLES)


class Membership(models.Model):
    """A person's seat on a committee in one role for one term (任期)."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("役割"), max_length=20, choices=Role.choices)
    term_start = models.DateField(_("任期開始"))
    term_end = models.DateField(_("任期終了"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["committee", "role", "user__full_name"]
        indexes = [models.Index(fields=["committee", "term_start", "term_end"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end__isnull=True) | Q(term_end__gte=models.F("term_start")),
                name="membership_term_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} / {self.committee} / {self.get_role_display()}"

    def covers(self, day: dt.date) -> bool:
        return self.term_start <= day and (self.term_end is None or self.term_end >= day)


class AuditEntry(models.Model):
    """One operation, written by the service that performed it. Never edited or deleted
    except by the retention job."""

    class Result(models.TextChoices):
        OK = "ok", _("成功")
        REFUSED = "refused", _("拒否")
        FAILED = "failed", _("失敗")

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=100, db_index=True)
    committee = models.ForeignKey(
        Committee, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    result = models.CharField(max_length=10, choices=Result.choices, default=Result.OK)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["committee", "at"]), models.Index(fields=["actor", "at"])]
        verbose_name = _("操作記録")
        verbose_name_plural = _("操作記録")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"


class LogReview(models.Model):
    """The secretariat's periodic review of a committee's audit log (ログ確認): who
    reviewed which period, when, and what they found."""

    class Result(models.TextChoices):
        OK = "ok", _("問題なし")
        ISSUES = "issues", _("要対応事項あり")

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="log_reviews")
    period_start = models.DateField(_("確認した期間の開始日"))
    period_end = models.DateField(_("確認した期間の終了日"))
    reviewer = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(default=timezone.now)
    result = models.CharField(_("確認の結果"), max_length=10, choices=Result.choices)
    findings = models.TextField(_("所見"), blank=True)

    class Meta:
        ordering = ["-period_end", "-reviewed_at"]
        indexes = [models.Index(fields=["committee", "period_end"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="logreview_period_end_after_start",
            )
        ]
        verbose_name = _("ログ確認")
        verbose_name_plural = _("ログ確認")

    def __str__(self) -> str:
        return f"{self.committee} {self.period_start}〜{self.period_end}"
