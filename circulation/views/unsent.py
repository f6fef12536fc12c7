"""What a member typed when their session had ended, kept for them until they log in again.

Why: sessions end after an hour idle (KAIRAN_SESSION_IDLE_SECONDS). A member who spends
longer on an opinion and then presses 回答を送信 (or 質問する) arrives without a session. The
post cannot be recorded — nobody is logged in, and a reply or question is only ever recorded
when its member submits it while logged in — and the browser will not post it again after
the login. So what was typed is kept in the new, anonymous session, which logging in keeps
(Django's `login()` cycles the session key and keeps its data; allauth logs in through it,
by password and by mailed code alike), and the circulation page shows it once, filled in,
for the member to check and send.

Whose it is: the reply and question forms carry a signed mark of the person and circulation
they were shown to (`owner_mark`). Only a post with a valid mark is kept, and only that
person is shown it: on a shared computer, whoever logs in next in the browser never sees
somebody else's words.
"""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest

from circulation.models import Circulation
from portal.models import User

MARK_FIELD = "unsent_for"
SESSION_KEY = "kairan_kept_input"
REPLY, QUESTION = "reply", "question"
_FIELDS = {REPLY: ("kind", "opinion", "meeting_needed", "base_version"), QUESTION: ("text",)}
# The forms' own limits (the browser enforces them as maxlength): nothing longer is kept.
_LIMITS = {"opinion": 10000, "text": 4000}
_SALT = "kairan.circulation.kept-input"
_MAX_ENTRIES = 6  # the session stays small whatever an anonymous client posts


def owner_mark(user: User, circulation: Circulation) -> str:
    """The mark the reply and question forms carry: this person, this circulation. Without
    a timestamp, so the same page renders the same bytes (the session bounds how long a
    kept text lives; a mark only ever lets someone keep text in their own session)."""
    return signing.Signer(salt=_SALT).sign_object([user.pk, circulation.pk])


def _owner(mark: str, circulation_id: int) -> int | None:
    try:
        user_id, marked = signing.Signer(salt=_SALT).unsign_object(mark)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    return user_id if marked == circulation_id and isinstance(user_id, int) else None


def keep(request: HttpRequest, circulation_id: int, kind: str) -> bool:
    """Keep what an anonymous post of the reply (REPLY) or question (QUESTION) form carries,
    for the person its mark names. False when the post carries no valid mark."""
    owner = _owner(request.POST.get(MARK_FIELD, ""), circulation_id)
    if owner is None:
        return False
    typed = {name: request.POST.get(name, "")[: _LIMITS.get(name, 20)] for name in _FIELDS[kind]}
    entries = dict(request.session.get(SESSION_KEY, {}))
    entries.pop(f"{kind}:{circulation_id}", None)  # the newest goes last
    entries[f"{kind}:{circulation_id}"] = {"user": owner, "typed": typed}
    while len(entries) > _MAX_ENTRIES:
        entries.pop(next(iter(entries)))
    request.session[SESSION_KEY] = entries
    return True


def take(request: HttpRequest, circulation_id: int) -> dict[str, dict[str, str]]:
    """What was kept for the logged-in person on this circulation, by kind, and forgotten:
    it is shown once. Whatever was kept for somebody else is forgotten unseen."""
    entries = request.session.get(SESSION_KEY)
    if not entries:
        return {}
    entries = dict(entries)
    found = {}
    for kind in _FIELDS:
        entry = entries.pop(f"{kind}:{circulation_id}", None)
        if entry is not None and entry.get("user") == request.user.pk:
            found[kind] = entry["typed"]
    if entries:
        request.session[SESSION_KEY] = entries
    else:
        del request.session[SESSION_KEY]
    return found
