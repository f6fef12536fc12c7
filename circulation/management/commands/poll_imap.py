"""Fetch unseen messages from the IMAP mailbox (KAIRAN_IMAP_*) and store each one; a message
is marked seen (or moved) only after it is stored. Run from cron/systemd, or with --loop."""

from __future__ import annotations

import imaplib
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from circulation.inbound.imap import ImapError, poll_once
from circulation.inbound.service import process_pending

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Poll the IMAP mailbox of the reply address and store every new message."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep polling")
        parser.add_argument("--interval", type=int, default=60, help="seconds between polls")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            problem = self._poll_once()
            if not options["loop"]:
                if problem:
                    raise CommandError(problem, returncode=EX_TEMPFAIL)
                return
            if problem:
                self.stderr.write(problem)
            time.sleep(max(5, options["interval"]))

    def _poll_once(self) -> str:
        """One poll; the problem to report, or an empty string."""
        try:
            process_pending()
            result = poll_once()
        except (ImapError, imaplib.IMAP4.error, OSError) as exc:
            return f"IMAP: {exc}"
        except DatabaseError as exc:
            return f"database: {exc}"
        self.stdout.write(f"stored {len(result.stored)} message(s), {result.failed} left unseen")
        return "some messages could not be stored; they stay unseen" if result.failed else ""
