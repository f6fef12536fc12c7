"""`manage.py restore DIR`: a backup made by `manage.py backup` into an empty installation
of the same release (migrated, nothing else); refuses anything else before writing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal.ops.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup folder DIR into this empty, migrated installation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args: Any, directory: Path, **options: Any) -> None:
        try:
            rows = restore(directory)
        except BackupError as exc:
            raise CommandError(f"restore refused: {exc}") from None
        self.stdout.write(f"restored {rows} rows from {directory}")
