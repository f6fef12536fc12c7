"""The shapes of the to-do list (やること): an item and the person's seats that a provider
asks about. Apart from circulation/reads/todo.py so that providers in modules of their own
(todo_consultations.py, …) import them without importing the list that registers them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.functional import Promise

from portal.models import Committee, Membership, User


@dataclass(frozen=True)
class TodoItem:
    """One thing to do. `kind` names the provider's kind (the template's wording follows
    it); `title` is what it is about, `url` its page, `action` the words of the link."""

    kind: str
    label: Promise | str  # the kind, in a word or two (回答待ち, 開催の要否, …)
    committee: Committee
    title: str
    url: str
    action: Promise | str
    # When it should be done (a reply's deadline, …); None: whenever (drafts).
    due: dt.datetime | None
    # Since when it has been waiting (a decision since the close, a question since asked).
    since: dt.datetime | None = None
    count: int = 1
    deadline: dt.datetime | None = None  # the circulation's reply deadline, shown if set


@dataclass(frozen=True)
class Seats:
    """The person's seats today, as a provider asks about them."""

    user: User
    now: dt.datetime
    memberships: list[Membership] = field(default_factory=list)

    def committees(self, *roles: str) -> dict[int, Committee]:
        """The committees where the person holds any of the roles today, by id."""
        return {m.committee_id: m.committee for m in self.memberships if m.role in roles}


Provider = Callable[[Seats], list[TodoItem]]
