"""Consultations (諮問 → 答申): the implementing body (実施機関) asks the council to approve
something; the council decides each item, in writing (書面による議事) or at a meeting, and
answers with a report (答申) that may carry riders (付言), whose response (対応状況) the
implementing body records afterwards.

A consultation is a circulation of another kind (Circulation.kind = consultation): the
circulation row carries its title, deadline, state, recipients, materials, questions,
closing and decision as for any circulation; `Consultation` (one-to-one, same key) holds
what only a consultation has. A member's vote is a Reply of kind 「賛否」 (versions, the
deadline and the receipt as for every reply) with one `ItemVote` per item.

Foreign keys name "circulation.…" by string so that this module needs nothing from the
circulation module but the names.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Committee, Role, User


class Vote(models.TextChoices):
    """A member's vote (賛否) on one item."""

    APPROVE = "approve", _("承認")
    DISAPPROVE = "disapprove", _("不承認")
    ABSTAIN = "abstain", _("保留")


class Result(models.TextChoices):
    """The council's result (結果) on one item."""

    APPROVED = "approved", _("承認")
    DISAPPROVED = "disapproved", _("不承認")
    CARRIED_OVER = "carried_over", _("継続審議")


class Consultation(models.Model):
    """What a consultation adds to its circulation: 諮問第N号, the implementing body, the
    date and reason, and once decided, how and by whom; once issued, the report (答申)."""

    class DecidedHow(models.TextChoices):
        WRITTEN = "written", _("書面による議事")
        MEETING = "meeting", _("会議")

    circulation = models.OneToOneField(
        "circulation.Circulation",
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="consultation",
    )
    # The circulation's committee, kept here for the unique number per council.
    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(_("諮問番号"))
    department = models.CharField(_("実施機関"), max_length=200)
    # The people who hold the implementing-body role for this consultation: they answer
    # questions and add materials, and record the riders' responses.
    staff = models.ManyToManyField(User, related_name="consultations_answered", blank=True)
    received_on = models.DateField(_("諮問日"))
    reason = models.TextField(_("諮問理由"))
    # The outcome: set once, by the chair's confirmation or the secretariat's record of
    # the meeting.
    decided_how = models.CharField(max_length=10, choices=DecidedHow.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_as = models.CharField(max_length=20, choices=Role.choices, blank=True)
    council_reasons = models.TextField(_("答申の理由"), blank=True)
    # The council's rules as applied when the written result was confirmed.
    rules_applied = models.JSONField(default=dict, blank=True)
    # Bumped by every change of the report before it is issued (results, riders, reasons):
    # a page's form carries it, so two editors cannot overwrite each other.
    report_version = models.PositiveIntegerField(default=1)
    # The report (答申), fixed when the secretariat issues it.
    report_date = models.DateField(_("答申日"), null=True, blank=True)
    report_addressee = models.CharField(_("宛先"), max_length=200, blank=True)
    report_chair = models.CharField(max_length=200, blank=True)  # e.g. 会長 例題 一郎
    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["committee", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "number"], name="one_consultation_number_per_council"
            )
        ]

    def __str__(self) -> str:
        return f"諮問第{self.number}号"

    @property
    def is_decided(self) -> bool:
        return self.decided_at is not None

    @property
    def is_issued(self) -> bool:
        return self.issued_at is not None


class ConsultationItem(models.Model):
    """One matter to decide (議題) and, once decided, its result (結果)."""

    class Casting(models.TextChoices):
        NONE = "", _("なし")
        APPROVE = "approve", _("承認")
        DISAPPROVE = "disapprove", _("不承認")

    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="items")
    order = models.PositiveSmallIntegerField()
    text = models.CharField(_("議題"), max_length=500)
    result = models.CharField(_("結果"), max_length=12, choices=Result.choices, blank=True)
    # The chair's casting vote (可否同数のときは会長の決するところによる), when it decided.
    casting_vote = models.CharField(max_length=10, choices=Casting.choices, blank=True)

    class Meta:
        ordering = ["consultation", "order"]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "order"], name="one_item_per_order")
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.text[:40]}"


class ItemVote(models.Model):
    """A member's vote on one item, in one version of their reply (kind 「賛否」). Never
    changed: a new vote is a new reply version with all of its items."""

    reply = models.ForeignKey(
        "circulation.Reply", on_delete=models.PROTECT, related_name="item_votes"
    )
    item = models.ForeignKey(ConsultationItem, on_delete=models.PROTECT, related_name="votes")
    vote = models.CharField(_("賛否"), max_length=10, choices=Vote.choices)
    opinion = models.TextField(_("意見"), blank=True)
    proposed_rider = models.TextField(_("付言の提案"), blank=True)

    class Meta:
        ordering = ["reply", "item__order"]
        constraints = [
            models.UniqueConstraint(fields=["reply", "item"], name="one_vote_per_item_and_version")
        ]

    def __str__(self) -> str:
        return f"{self.reply}: {self.item.order} {self.vote}"


class Rider(models.Model):
    """A rider (付言) adopted into the report, and what became of it afterwards."""

    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="riders")
    order = models.PositiveSmallIntegerField(default=1)
    text = models.TextField(_("付言"))
    # The member's proposal it came from, if any (the chair may edit the wording).
    proposed_in = models.ForeignKey(
        ItemVote, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    adopted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    adopted_at = models.DateTimeField(default=timezone.now)
    # Set by compare-and-swap when the implementing body is reminded of an open rider.
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["consultation", "order", "id"]

    def __str__(self) -> str:
        return self.text[:50]


class RiderResponse(models.Model):
    """The implementing body's response to a rider (対応状況), with its date. Each is a new
    row; the latest one says where the rider stands."""

    rider = models.ForeignKey(Rider, on_delete=models.PROTECT, related_name="responses")
    text = models.TextField(_("対応状況"))
    responded_on = models.DateField(_("対応日"))
    done = models.BooleanField(_("対応済み"), default=False)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rider", "recorded_at", "id"]

    def __str__(self) -> str:
        return self.text[:50]


class Statement(models.Model):
    """What was said at the meeting that deliberated a consultation, as the public record
    shows it: the section (質疑 / 審議 / 答申審議), the speaker's role — (委員), (実施機関)… —
    and, for named records, the person."""

    class Section(models.TextChoices):
        QA = "qa", _("質疑")
        DELIBERATION = "deliberation", _("審議")
        REPORT = "report", _("答申審議")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.PROTECT, related_name="statements"
    )
    section = models.CharField(max_length=12, choices=Section.choices, default=Section.QA)
    order = models.PositiveIntegerField(default=1)
    speaker_role = models.CharField(max_length=20, choices=Role.choices)
    speaker = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("発言"))
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["consultation", "order", "id"]

    def __str__(self) -> str:
        return self.text[:50]


class ConsultationRules(models.Model):
    """The council's rules for consultations (審議会の設定): how a written vote counts, the
    report's addressee and when an open rider is chased. A council without a row uses the
    defaults (`rules_of`)."""

    class Quorum(models.TextChoices):
        MORE_THAN_HALF = "more_than_half", _("委員の過半数が賛否を表明すること")
        HALF_OR_MORE = "half_or_more", _("委員の半数以上が賛否を表明すること")
        NONE = "none", _("定めない")

    class Abstain(models.TextChoices):
        NOT_CAST = "not_cast", _("保留は投票数に含めない")
        CAST = "cast", _("保留は投票数に含める(承認に数えない)")

    class Majority(models.TextChoices):
        VOTES_CAST = "votes_cast", _("投票数の過半数")
        MEMBERS = "members", _("委員の過半数")

    committee = models.OneToOneField(
        Committee, primary_key=True, on_delete=models.PROTECT, related_name="consultation_rules"
    )
    quorum = models.CharField(
        _("定足数"), max_length=16, choices=Quorum.choices, default=Quorum.MORE_THAN_HALF
    )
    abstain = models.CharField(
        _("保留の扱い"), max_length=10, choices=Abstain.choices, default=Abstain.NOT_CAST
    )
    majority = models.CharField(
        _("議決"), max_length=12, choices=Majority.choices, default=Majority.VOTES_CAST
    )
    chair_casting_vote = models.BooleanField(
        _("可否同数のときは会長の決するところによる"), default=True
    )
    report_addressee = models.CharField(_("答申の宛先"), max_length=200, blank=True)
    rider_reminder_months = models.PositiveSmallIntegerField(
        _("付言の対応状況の督促(月数)"), default=6
    )

    class Meta:
        verbose_name = _("諮問の規則")

    def __str__(self) -> str:
        return f"{self.committee}: {self.quorum}/{self.abstain}/{self.majority}"

    @classmethod
    def rules_of(cls, committee: Committee) -> ConsultationRules:
        """The council's rules, or the defaults (unsaved) if it never set them."""
        return cls.objects.filter(committee=committee).first() or cls(committee=committee)

    def as_dict(self) -> dict[str, object]:
        return {
            "quorum": self.quorum,
            "abstain": self.abstain,
            "majority": self.majority,
            "chair_casting_vote": self.chair_casting_vote,
        }


def open_rider_filter(prefix: str = "") -> Q:
    """Riders of an issued report whose latest response is not 対応済み (a small query
    part shared by the lists and the reminder job)."""
    return Q(**{f"{prefix}consultation__issued_at__isnull": False}) & ~Q(
        **{f"{prefix}pk__in": RiderResponse.objects.filter(done=True).values("rider_id")}
    )
