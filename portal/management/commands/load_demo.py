"""`manage.py load_demo`: load the demo council once (running again keeps its data)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.demo import load_demo, logins_text


class Command(BaseCommand):
    help = "Load the demo council and its people (needs KAIRAN_DEMO=1 or DEBUG=1)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet", action="store_true", help="print nothing (rundemo)")

    def handle(self, *args: Any, quiet: bool = False, **options: Any) -> None:
        try:
            loaded = load_demo()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        if quiet:
            return
        if loaded is None:
            self.stdout.write("The demo council is already loaded; nothing was changed.")
            return
        self.stdout.write(f"Loaded {loaded.committee.name}.")
        self.stdout.write(logins_text())
