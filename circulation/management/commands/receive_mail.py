"""Read one mail message from standard input and store it: the MTA pipe transport.

    receive_mail [--sender ADDRESS] [--recipient ADDRESS]

Exit codes (sysexits): 0 the message is stored (whatever became of it: recorded, held,
unmatched or ignored); 75 EX_TEMPFAIL when it could not be stored (database unreachable) so
the MTA keeps it and retries; 65 EX_DATAERR for empty input. See docs/mail-replies.md.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from circulation.inbound.service import process_pending, process_safely, store_raw_message

log = logging.getLogger(__name__)
EX_DATAERR, EX_TEMPFAIL = 65, 75


class Command(BaseCommand):
    help = "Store one mail message read from standard input (for an MTA pipe transport)."
    requires_system_checks: list[str] = []  # an MTA delivery must be quick and need nothing
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sender", default=None, help="envelope sender (Postfix ${sender})")
        parser.add_argument(
            "--recipient", default="", help="envelope recipient (Postfix ${original_recipient})"
        )
        parser.add_argument(
            "--process-pending",
            action="store_true",
            help="instead of reading a message, process stored messages a crash left unprocessed",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["process_pending"]:
            count = process_pending()
            self.stdout.write(f"processed {count} pending message(s)")
            return
        stream = options.get("stdin") or sys.stdin
        raw = (stream.buffer if hasattr(stream, "buffer") else stream).read()
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        if not raw.strip():
            raise CommandError("empty message on standard input", returncode=EX_DATAERR)
        try:
            message = store_raw_message(
                raw, source="mta", envelope_sender=options["sender"],
                envelope_recipient=options["recipient"],
            )  # fmt: skip
        except Exception as exc:  # not stored: the MTA must keep the message and retry
            log.exception("receive_mail: could not store the message")
            raise CommandError(
                f"could not store the message, try again later: {exc}", returncode=EX_TEMPFAIL
            ) from exc
        message = process_safely(message.pk)  # never raises: the message is stored
        self.stdout.write(f"stored #{message.pk}: {message.state} {message.reason}".rstrip())
