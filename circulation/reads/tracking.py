"""The tracking page's data (secretariat): the counts of the whole circulation, and one page
of recipients (送付先ごとの状況) under a filter, each with their opening and reply.

A circulation may have 1,000 recipients: the counts are one aggregate query in the database,
and only the page's 50 recipients (with how many materials each opened) and their reply
versions are read.
The number of queries is the same for 10 or 1,000 recipients, whatever the filter or page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    prefetch_related_objects,
)
from django.utils.functional import Promise, cached_property
from django.utils.translation import gettext_lazy as _

from circulation.models import (
    Circulation,
    MaterialOpening,
    OutboxMessage,
    Recipient,
    ReminderNow,
    Reply,
)

# The columns of a page's recipients that the rows (and their cache key) show.
ROW_FIELDS = (
    "circulation",
    "user",
    "role",
    "first_opened_at",
    "current_reply",
    "user__full_name",
)

# Rows per page. Most councils have 10–30 members and see a single page without a pager.
TRACKING_PAGE_SIZE = 50


@dataclass(frozen=True)
class Filter:
    """One choice of the filter row: `key` is the value of ?show=, `where` picks its
    recipients, `count` names the Tracking field holding how many there are."""

    key: str
    label: Promise
    where: Q
    count: str


# In the order of the filter row. The counts at the top of the page and the counts of the
# filter links come from these same conditions, so a link's count is the rows it shows.
FILTERS: tuple[Filter, ...] = (
    Filter("all", _("すべて"), Q(), "recipients"),
    Filter("not_replied", _("未回答"), Q(current_reply__isnull=True), "not_replied"),
    Filter("replied", _("回答済み"), Q(current_reply__isnull=False), "replied"),
    Filter(
        "with_opinion",
        _("意見あり"),
        Q(current_reply__kind=Reply.Kind.OPINION),
        "with_opinion",
    ),
    Filter(
        "meeting_needed",
        _("審議が必要"),
        Q(current_reply__meeting_needed=True),
        "meeting_requested",
    ),
    Filter("not_opened", _("資料を開いていない"), Q(first_opened_at__isnull=True), "not_opened"),
)
_FILTERS_BY_KEY = {f.key: f for f in FILTERS}
DEFAULT_FILTER = FILTERS[0]

# Counted alongside the filters (shown at the top of the page only).
_OTHER_COUNTS = {
    "opened": Q(first_opened_at__isnull=False),
    "no_opinion": Q(current_reply__kind=Reply.Kind.NO_OPINION),
}


@dataclass
class TrackingRow:
    recipient: Recipient
    reply: Reply | None
    earlier: list[Reply]
    materials_opened: int


@dataclass(frozen=True)
class FilterLink:
    key: str
    label: Promise
    count: int
    current: bool


@dataclass
class Tracking:
    # The counts are of the whole circulation; `page` holds the current page's recipients.
    recipients: int = 0
    replied: int = 0
    not_replied: int = 0
    opened: int = 0
    not_opened: int = 0
    no_opinion: int = 0
    with_opinion: int = 0
    meeting_requested: int = 0
    # Whether the secretariat has sent a reminder by hand (the list is read only if so).
    reminded: bool = True
    current_materials: int = 0
    failed_mail: list[OutboxMessage] = field(default_factory=list)
    show: str = DEFAULT_FILTER.key
    filters: list[FilterLink] = field(default_factory=list)
    page: Page | None = None
    _rows: list[TrackingRow] | None = field(default=None, repr=False)

    @property
    def page_recipients(self) -> list[Recipient]:
        """The current page's recipients (with their people), in the table's order."""
        return list(self.page.object_list) if self.page is not None else []

    @property
    def rows(self) -> list[TrackingRow]:
        """The current page's rows with every reply version (read on first use)."""
        if self._rows is None:
            self._rows = _rows(self.page_recipients)
        return self._rows

    @property
    def paged(self) -> bool:
        """More than one page of rows under the current filter: the pager is shown."""
        return self.page is not None and self.page.paginator.num_pages > 1

    @property
    def page_numbers(self) -> list[int | None]:
        """The pager's page links: the ends and the pages around the current one, None
        where pages are left out (twenty links for 1,000 recipients would be too many)."""
        if self.page is None:
            return []
        paginator = self.page.paginator
        numbers = paginator.get_elided_page_range(self.page.number, on_each_side=2, on_ends=1)
        return [n if isinstance(n, int) else None for n in numbers]


class _CountedPaginator(Paginator):
    """A paginator told its count: the aggregate query has counted every filter already,
    so the paginator's own COUNT(*) would be a statement for nothing."""

    def __init__(self, object_list: object, per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def chosen_filter(show: str | None) -> Filter:
    """The filter named by ?show=; anything unknown (or nothing) shows everyone."""
    return _FILTERS_BY_KEY.get(show or "", DEFAULT_FILTER)


def tracking(
    circulation: Circulation,
    *,
    current_materials: int,
    show: str | None = None,
    page: str | int | None = None,
) -> Tracking:
    """The counts of `circulation` and page `page` of its recipients under filter `show`.
    Junk or out-of-range pages give the first or last page (Paginator.get_page).
    `current_materials`: how many materials are in force (page_parts.tracking_materials
    keeps it with the materials section)."""
    result = Tracking(current_materials=current_materials)
    any_failed = _count(result, circulation)
    chosen = chosen_filter(show)
    result.show = chosen.key
    result.filters = [
        FilterLink(f.key, f.label, getattr(result, f.count), f is chosen) for f in FILTERS
    ]
    recipients = (
        circulation.recipients.filter(chosen.where)
        .select_related("user")
        # Only what the rows show: a whole person (password, e-mail, dates) built into a
        # model for each of the page's 50 rows was about 0.5 ms of every request.
        .only(*ROW_FIELDS)
        .annotate(materials_opened=materials_opened(circulation))
        .order_by(*Recipient._meta.ordering)  # by name, then id: the table's order
    )
    paginator = _CountedPaginator(recipients, TRACKING_PAGE_SIZE, getattr(result, chosen.count))
    result.page = paginator.get_page(page)
    result.page.object_list = list(result.page.object_list)
    if any_failed:  # the list is read only when there is one to show (rarely)
        result.failed_mail = list(
            OutboxMessage.objects.filter(
                circulation=circulation, state=OutboxMessage.State.FAILED
            ).select_related("to_user")
        )
    return result


def _count(result: Tracking, circulation: Circulation) -> bool:
    """Every count of the page from one aggregate query (recipients joined to their current
    reply), never by reading the recipients. Returns whether any of the circulation's mail
    failed (asked in the same statement, so that listing failed mail costs one only when
    there is some; True if unknown); sets `result.reminded` the same way."""
    failed = OutboxMessage.objects.filter(
        circulation_id=OuterRef("circulation_id"), state=OutboxMessage.State.FAILED
    )
    reminded = ReminderNow.objects.filter(circulation_id=OuterRef("circulation_id"))
    found = list(
        circulation.recipients.order_by()
        .values("circulation_id")  # one group: this circulation's recipients
        .annotate(**{name: Count("pk", filter=where) for name, where in _COUNTED})
        .annotate(failed_mail=Exists(failed), reminded=Exists(reminded))
    )
    counts = found[0] if found else {}
    for name, _where in _COUNTED:
        setattr(result, name, counts.get(name, 0))
    # The complements are what is left of the recipients (the conditions are each other's
    # negation): two counts fewer for the database and for the ORM to build each request.
    for name, of in _COMPLEMENTS.items():
        setattr(result, name, result.recipients - getattr(result, of))
    result.reminded = bool(counts.get("reminded", True))
    return bool(counts.get("failed_mail", True))


# Every count the page shows, by the Tracking field holding it: counted in the database,
# or (_COMPLEMENTS) the recipients less the count of the opposite condition.
_COMPLEMENTS = {"not_replied": "replied", "not_opened": "opened"}
_COUNTED = tuple(
    (name, where)
    for name, where in ({f.count: f.where for f in FILTERS} | _OTHER_COUNTS).items()
    if name not in _COMPLEMENTS
)


def materials_opened(circulation: Circulation) -> Subquery:
    """How many of the circulation's current materials a row's person opened, distinct: a
    corrected material counts only once its new version has been opened (the old one was
    not what is in force). A subquery of the rows' query, which PostgreSQL runs for the
    page's rows only, after sorting and limiting."""
    return Subquery(
        MaterialOpening.objects.filter(
            user_id=OuterRef("user_id"),
            material__circulation=circulation,
            material__is_current=True,
        )
        .order_by()
        .values("user_id")
        .annotate(count=Count("material_id", distinct=True))
        .values("count")
    )


def _rows(recipients: list[Recipient]) -> list[TrackingRow]:
    # Every version of the page's replies in one query, newest first per recipient; the
    # current one is picked out of them rather than read a second time.
    versions = Prefetch("replies", queryset=Reply.objects.order_by("-version"), to_attr="versions")
    prefetch_related_objects(recipients, versions)
    rows = []
    for recipient in recipients:
        replies = recipient.versions  # type: ignore[attr-defined]  # Prefetch's to_attr
        reply = next((r for r in replies if r.pk == recipient.current_reply_id), None)
        rows.append(
            TrackingRow(
                recipient=recipient,
                reply=reply,
                earlier=[r for r in replies if r is not reply],
                # No openings: no group in the subquery, so None.
                materials_opened=recipient.materials_opened or 0,  # type: ignore[attr-defined]
            )
        )
    return rows
