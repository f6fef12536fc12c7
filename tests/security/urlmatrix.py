"""The permission matrix, generated from the URL configuration.

`kairan_routes()` walks `get_resolver().url_patterns` (includes too) and yields every Kairan
URL pattern — everything except the admin, allauth's accounts/, i18n/, static and demo
pages — with the keyword arguments it needs (committee_id, circulation_id, …). A test then
fills those arguments with objects of the persona's own council or of another council and
compares each answer with an expectations table (test_permission_matrix.py). A new page
without a row in the table fails that test, so no page can escape the matrix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse

# Not Kairan's own pages: Django's admin (tested through allauth's login), allauth's
# screens, the language switch, static files and the demo's mail reader.
SKIPPED_PREFIXES = ("admin/", "accounts/", "i18n/", "static/", "media/", "demo/")


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name" when namespaced; "" when the pattern has no name
    route: str  # the full pattern, e.g. "committees/<int:committee_id>/"
    kwargs: tuple[str, ...]  # what reverse() needs, e.g. ("committee_id",)

    def url(self, **values: Any) -> str:
        return reverse(self.name, kwargs=values)

    @property
    def needs_objects(self) -> bool:
        return bool(self.kwargs)


def _pattern_text(pattern: Any) -> str:
    text = str(pattern)
    # Regex patterns (re_path, static()) print as "^static/…$": compare them like routes.
    return text.removeprefix("^").removesuffix("$") if text.startswith("^") else text


def _kwargs_of(pattern: Any) -> list[str]:
    converters = getattr(pattern, "converters", None)
    if converters:  # path("<int:committee_id>/")
        return list(converters)
    regex = getattr(pattern, "regex", None)
    return list(regex.groupindex) if regex is not None else []


def _walk(
    patterns: Iterable[URLPattern | URLResolver],
    prefix: str,
    kwargs: tuple[str, ...],
    namespace: str,
) -> Iterator[Route]:
    for entry in patterns:
        text = prefix + _pattern_text(entry.pattern)
        if text.startswith(SKIPPED_PREFIXES):
            continue
        found = kwargs + tuple(_kwargs_of(entry.pattern))
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, text, found, inner)
        else:
            name = f"{namespace}{entry.name}" if entry.name else ""
            yield Route(name=name, route=text, kwargs=found)


def kairan_routes(urlconf: str | None = None) -> list[Route]:
    """Every Kairan URL pattern, named or not (an unnamed one is a test failure)."""
    return list(_walk(get_resolver(urlconf).url_patterns, "", (), ""))


# --- Expectations --------------------------------------------------------------------------

OWN, OTHER = "own", "other"

# Who asks. "member" receives the circulation; "late_member" joined the council after it was
# sent (a member who is not a recipient); "ended_member" received it but their term ended
# yesterday (reads, no longer replies); "former_member"'s term had ended before it was sent;
# "outsider" is on no council; "other_secretariat" runs another council; "site_staff" runs
# the installation (Django's is_staff), on no council: sees mail that belongs to no council.
# "implementing_body" is named for the consultations (諮問) of the fixtures; "other_body"
# holds the same role on the same council, named for another consultation only.
PERSONAS = (
    "anonymous",
    "secretariat",
    "chair",
    "acting_chair",
    "member",
    "late_member",
    "ended_member",
    "implementing_body",
    "other_body",
    "former_member",
    "outsider",
    "other_secretariat",
    "site_staff",
)

Status = int | tuple[int, int]  # one answer, or (own council's object, other council's)


@dataclass
class Expectation:
    """What each persona gets on one URL. For a URL with object arguments, a tuple gives the
    answer for an object of the persona's own council (the one in the fixtures) and for an
    object of the other council."""

    answers: dict[str, Status]
    method: str = "get"
    query: dict[str, str] = field(default_factory=dict)  # GET parameters or POST data
    # How a refusal is logged: the permission gates write "access.refused" with the URL; the
    # token-authorised pages write their own action about the object the token names.
    refusal: str = "access.refused"

    def status(self, persona: str, side: str) -> int:
        answer = self.answers[persona]
        if isinstance(answer, tuple):
            return answer[0] if side == OWN else answer[1]
        return answer


def expect(
    method: str = "get", *, refusal: str = "access.refused", **answers: Status
) -> Expectation:
    """Anonymous visitors are sent to the login page unless the row says otherwise. A
    POST-only URL is asked with an empty POST (the test client sends no CSRF check), so
    the gate answers before any form is read. The site's staff are on no council: unless
    the row says otherwise, they get what the outsider gets."""
    answers.setdefault("anonymous", 302)
    if "outsider" in answers:
        answers.setdefault("site_staff", answers["outsider"])
    # Staff of another consultation: on circulations the same as any implementing body.
    if "implementing_body" in answers:
        answers.setdefault("other_body", answers["implementing_body"])
    missing = set(PERSONAS) - set(answers)
    if missing:
        raise ValueError(f"expectation lacks personas: {sorted(missing)}")
    return Expectation(answers=answers, method=method, refusal=refusal)


# Builds the value of one URL argument for a side (OWN/OTHER) from the test's world.
Filler = Callable[[Any, str], Any]


@dataclass
class Failure:
    route: str
    persona: str
    side: str
    url: str
    expected: int
    got: int
    logged: bool = True

    def __str__(self) -> str:
        note = "" if self.logged else " (refusal NOT logged)"
        return (
            f"{self.route} as {self.persona} on {self.side} object: {self.url} → "
            f"{self.got}, expected {self.expected}{note}"
        )
