"""`manage.py demo_logins` (`make demo-logins`): the demo's logins again, while the demo runs
in another terminal (its banner has scrolled away)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from portal.demo import logins_text


class Command(BaseCommand):
    help = "Print the demo's logins and their password."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(logins_text())
