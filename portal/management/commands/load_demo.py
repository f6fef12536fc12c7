"""`manage.py load_demo`: load the demo council once (running again keeps its data)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from portal.demo import DEMO_PASSWORD, DEMO_PEOPLE, load_demo


class Command(BaseCommand):
    help = "Load the demo council and its people (needs KAIRAN_DEMO=1 or DEBUG=1)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            loaded = load_demo()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        if loaded is None:
            self.stdout.write("The demo council is already loaded; nothing was changed.")
            return
        self.stdout.write(f"Loaded {loaded.committee.name}.")
        self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}):")
        for person in DEMO_PEOPLE:
            self.stdout.write(f"  {person.email}  {person.full_name}  {person.label}")
