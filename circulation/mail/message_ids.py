"""Our Message-IDs and each circulation's thread id: unguessable, so that nobody can write a
mail that looks like an answer to one of ours (docs/mail-replies.md, "Trust").

- Every outgoing mail gets a random Message-ID when it is queued (`new_message_id`, 128
  random bits), stored on its outbox row, so that a retry sends the same id.
- Every mail of one circulation refers to the circulation's thread id (In-Reply-To and
  References), so that mail programs show them as one conversation. The id carries an HMAC of
  the circulation id keyed by SECRET_KEY: `<circulation-12.<mac>@domain>`; only we can write
  it, and `circulation_of_thread_id` reads it back.
A thread header alone never records a reply (the personal address does); it only tells which
circulation a held mail is about.
"""

from __future__ import annotations

import re
import secrets
from email.utils import parseaddr
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

_SALT = "kairan.circulation.thread-id.v1"
_THREAD_ID = re.compile(r"^<circulation-(\d+)\.([0-9a-f]{24})@([^>]+)>$")


def mail_domain() -> str:
    """The domain of our Message-IDs: that of DEFAULT_FROM_EMAIL, else SITE_URL's host."""
    return _domain_of(settings.DEFAULT_FROM_EMAIL, settings.SITE_URL)


# Both are asked once per message a worker sends; memoised on everything they depend on (so
# a changed setting, as in tests, gives a new answer).
@lru_cache(maxsize=16)
def _domain_of(from_email: str, site_url: str) -> str:
    address = parseaddr(from_email)[1]
    if "@" in address:
        return address.rsplit("@", 1)[1].lower()
    return (urlsplit(site_url).hostname or "localhost").lower()


def new_message_id() -> str:
    return f"<{secrets.token_hex(16)}@{mail_domain()}>"


def thread_id(circulation_id: int) -> str:
    return _thread_id(circulation_id, settings.SECRET_KEY, mail_domain())


@lru_cache(maxsize=1024)
def _thread_id(circulation_id: int, key: str, domain: str) -> str:
    return f"<circulation-{circulation_id}.{_mac(circulation_id, key)}@{domain}>"


def circulation_of_thread_id(message_id: str) -> int | None:
    """The circulation whose thread id this is, if we wrote it (any domain we used)."""
    found = _THREAD_ID.match((message_id or "").strip().lower())
    if not found:
        return None
    circulation_id = int(found.group(1))
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if any(constant_time_compare(found.group(2), _mac(circulation_id, key)) for key in keys):
        return circulation_id
    return None


def _mac(circulation_id: int, key: str) -> str:
    return salted_hmac(_SALT, str(circulation_id), key, algorithm="sha256").hexdigest()[:24]
