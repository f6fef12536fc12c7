"""`manage.py grant_app_role ROLE [--create]`: run as the owner of the tables after every
`migrate`, so that the portal can log in as ROLE with only SELECT and INSERT on the audit log
(portal/auditlog/db_roles.py, docs/operations.md)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from portal.auditlog.db_roles import grant_app_role


class Command(BaseCommand):
    help = "Grant the application's database role its rights (PostgreSQL; run as the owner)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="the role the portal logs in as, e.g. kairan_app")
        parser.add_argument(
            "--create",
            action="store_true",
            help="create the login role if missing, with the password in KAIRAN_APP_DB_PASSWORD",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("two database roles need PostgreSQL (DATABASE_URL=postgres://…)")
        password = None
        if options["create"]:
            password = os.environ.get("KAIRAN_APP_DB_PASSWORD") or None
            if password is None:
                raise CommandError("--create needs the password in KAIRAN_APP_DB_PASSWORD")
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                created = grant_app_role(
                    cursor,
                    options["role"],
                    floor_days=settings.KAIRAN_AUDIT_RETENTION_DAYS,
                    password=password,
                )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        verb = "Created and granted" if created else "Granted"
        self.stdout.write(
            f"{verb} {options['role']}: SELECT and INSERT on the audit log, retention through "
            f"kairan_expire_audit_entries (entries younger than "
            f"{settings.KAIRAN_AUDIT_RETENTION_DAYS} days are kept)."
        )
