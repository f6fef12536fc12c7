"""Minutes written in Kairan (会議録) and the public records (公開記録) made from them.

`Minutes` is the record of one session (a `Meeting`) or of one written deliberation (書面開催:
a circulation decided in Kairan). Its text lives in `MinutesVersion` rows, each with its
`MinutesPart` passages: a version is never changed, a revision or a correction is a new
version, and the record names which version the public reads (`published_version`).

A passage marked withheld (非公開部分) keeps its text for the council; the public read
(`reads/public_records.py`) asks the database for its reason only, so the text cannot reach a
public page, the feed or the export.

Foreign keys name their models by string so that this module needs nothing from the others.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Committee, Role, User


class RecordSettings(models.Model):
    """The council's settings for its public records. A council without a row uses the
    defaults (`settings_of`): names masked as 「委員」, no confirmation by the chair."""

    committee = models.OneToOneField(
        Committee, primary_key=True, on_delete=models.PROTECT, related_name="record_settings"
    )
    public_names = models.BooleanField(_("公開記録に委員の氏名を表示する"), default=False)
    chair_confirms = models.BooleanField(
        _("公開・訂正・取り下げに会長の確認を要する"), default=False
    )
    department = models.CharField(_("担当所属名"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("公開記録の設定")

    def __str__(self) -> str:
        return str(self.committee_id)

    @classmethod
    def settings_of(cls, committee: Committee) -> RecordSettings:
        found = cls.objects.filter(committee=committee).first()
        return found or cls(committee=committee)


class Minutes(models.Model):
    """会議録: the record of a session or of a written deliberation, from draft to public."""

    class Kind(models.TextChoices):
        SESSION = "session", _("会議")
        WRITTEN = "written", _("書面開催")

    class State(models.TextChoices):
        DRAFT = "draft", _("下書き")
        CHECKING = "checking", _("委員確認中")
        APPROVED = "approved", _("会長承認済み")
        PUBLISHED = "published", _("公開中")
        WITHDRAWN = "withdrawn", _("公開取り下げ")

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="minutes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    meeting = models.OneToOneField(
        "circulation.Meeting",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="minutes_record",
    )
    circulation = models.OneToOneField(
        "circulation.Circulation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="public_record",
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    latest_version = models.PositiveIntegerField(default=1)
    # 委員確認: the version sent to the attendees and the deadline for their answers.
    check_version = models.PositiveIntegerField(null=True, blank=True)
    check_deadline = models.DateTimeField(null=True, blank=True)
    # The chair's approval (会長承認) of one version.
    approved_version = models.PositiveIntegerField(null=True, blank=True)
    approved_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # What the public reads: the version, when it was first published, and 更新日 (the last
    # correction; None until corrected).
    published_version = models.PositiveIntegerField(null=True, blank=True)
    first_published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["committee", "-created_at", "-id"]
        indexes = [models.Index(fields=["committee", "state"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="session", meeting__isnull=False, circulation__isnull=True)
                    | Q(kind="written", meeting__isnull=True, circulation__isnull=False)
                ),
                name="minutes_of_a_session_or_a_circulation",
            ),
        ]

    def __str__(self) -> str:
        return f"会議録 {self.pk}"

    @property
    def is_public(self) -> bool:
        return self.state == self.State.PUBLISHED


class MinutesVersion(models.Model):
    """One version of the minutes' text. Never changed: revising is adding a version."""

    minutes = models.ForeignKey(Minutes, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(_("会議名"), max_length=200)
    held = models.CharField(_("日時"), max_length=200)
    place = models.CharField(_("場所"), max_length=200)
    # [{"name": "…", "role": "member"}, …]: the public page shows names or counts by role.
    attendees = models.JSONField(_("出席者"), default=list, blank=True)
    absentees = models.JSONField(_("欠席者"), default=list, blank=True)
    agenda = models.TextField(_("議題"), blank=True)  # one item a line
    observers = models.PositiveIntegerField(_("傍聴者数"), null=True, blank=True)
    note = models.CharField(_("修正の内容"), max_length=300, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["minutes", "number"]
        constraints = [
            models.UniqueConstraint(fields=["minutes", "number"], name="one_minutes_text_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} (第{self.number}版)"

    @property
    def committee(self) -> Committee:
        return self.minutes.committee


class MinutesPart(models.Model):
    """A passage: the result of an agenda item (審議結果), one speech of the Q&A (質疑) with
    its speaker's role, or free text. A withheld passage (非公開部分) shows only its reason
    to the public."""

    class Section(models.TextChoices):
        RESULT = "result", _("審議結果")
        QA = "qa", _("質疑")
        TEXT = "text", _("その他")

    class Speaker(models.TextChoices):
        NONE = "", _("(なし)")
        MEMBER = Role.MEMBER.value, Role.MEMBER.label
        CHAIR = Role.CHAIR.value, Role.CHAIR.label
        ACTING_CHAIR = Role.ACTING_CHAIR.value, Role.ACTING_CHAIR.label
        SECRETARIAT = Role.SECRETARIAT.value, Role.SECRETARIAT.label
        IMPLEMENTING_BODY = Role.IMPLEMENTING_BODY.value, Role.IMPLEMENTING_BODY.label

    version = models.ForeignKey(MinutesVersion, on_delete=models.CASCADE, related_name="parts")
    position = models.PositiveSmallIntegerField()
    section = models.CharField(_("区分"), max_length=10, choices=Section.choices)
    heading = models.CharField(_("議題"), max_length=300, blank=True)
    speaker = models.CharField(
        _("発言者"), max_length=20, choices=Speaker.choices, blank=True, default=""
    )
    speaker_name = models.CharField(_("発言者の氏名"), max_length=100, blank=True)
    text = models.TextField(_("内容"))
    withheld = models.BooleanField(_("非公開"), default=False)
    withheld_reason = models.CharField(_("非公開の理由"), max_length=200, blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "position"], name="one_minutes_part_position"
            ),
            models.CheckConstraint(
                condition=Q(withheld=False) | ~Q(withheld_reason=""),
                name="withheld_part_has_a_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version_id}/{self.position}"


class MinutesChecker(models.Model):
    """An attendee asked to check the draft (委員確認)."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="checkers")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["minutes", "user"], name="one_checker_per_minutes")
        ]

    def __str__(self) -> str:
        return f"{self.minutes_id}/{self.user_id}"


class MinutesCheck(models.Model):
    """An attendee's answer on one version: approved (確認しました) or a comment. Every
    answer is kept; the newest of a person on a version counts."""

    minutes = models.ForeignKey(Minutes, on_delete=models.CASCADE, related_name="checks")
    version = models.PositiveIntegerField()
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    approved = models.BooleanField(_("確認しました"))
    comment = models.TextField(_("意見"), blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["minutes", "at", "id"]
        indexes = [models.Index(fields=["minutes", "version", "user"])]

    def __str__(self) -> str:
        return f"{self.minutes_id}/v{self.version}/{self.user_id}"

    @property
    def committee(self) -> Committee:
        return self.minutes.committee


class Publication(models.Model):
    """A step of the record's public life — publish, correct (a new version shown, with
    更新日) or withdraw — asked by the secretariat and, where the council's settings say so,
    confirmed by the chair. Kept for good: the history of the public record."""

    class Action(models.TextChoices):
        PUBLISH = "publish", _("公開")
        CORRECT = "correct", _("訂正")
        WITHDRAW = "withdraw", _("公開の取り下げ")

    class State(models.TextChoices):
        PENDING = "pending", _("会長の確認待ち")
        DONE = "done", _("実施済み")
        DECLINED = "declined", _("会長が差し戻し")

    minutes = models.ForeignKey(Minutes, on_delete=models.PROTECT, related_name="publications")
    action = models.CharField(max_length=10, choices=Action.choices)
    version = models.PositiveIntegerField(null=True, blank=True)  # none for a withdrawal
    reason = models.CharField(_("理由"), max_length=300, blank=True)
    state = models.CharField(max_length=10, choices=State.choices)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    confirmed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["minutes", "requested_at", "id"]
        constraints = [
            # At most one step waits for the chair at a time.
            models.UniqueConstraint(
                fields=["minutes"], condition=Q(state="pending"), name="one_pending_publication"
            )
        ]

    def __str__(self) -> str:
        return f"{self.minutes_id}: {self.action} {self.state}"

    @property
    def committee(self) -> Committee:
        return self.minutes.committee
