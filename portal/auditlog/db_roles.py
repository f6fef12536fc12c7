"""Two database roles for the audit log (PostgreSQL): the owner, who runs the migrations and
owns the tables, and the application's role, which the portal logs in as.

The application's role gets every ordinary right on every table but only SELECT and INSERT
on portal_auditentry: it cannot UPDATE, DELETE or TRUNCATE an entry, whatever it sets in its
session (the trigger of migration 0003 guards the owner's own sessions too). Retention
deletes through `kairan_expire_audit_entries(cutoff)`, a SECURITY DEFINER function owned by
the owner: it runs with the owner's rights and refuses a cutoff inside the kept period, so
the application can remove expired entries and nothing else. docs/operations.md says how to
run with two roles; `manage.py grant_app_role` does the granting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from psycopg import sql

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper

FUNCTION = "kairan_expire_audit_entries"
# A council's entries whose disposal (廃棄) its secretariat approved (portal/retention).
DISPOSE_FUNCTION = "kairan_dispose_audit_entries"
# The smallest retention the settings accept; `grant_app_role` raises it to the configured one.
DEFAULT_FLOOR_DAYS = 30


def retention_function(schema: str, floor_days: int) -> sql.Composed:
    """CREATE OR REPLACE of the retention function for the tables in `schema`."""
    return sql.SQL(
        """
        CREATE OR REPLACE FUNCTION {schema}.{function}(cutoff timestamptz) RETURNS bigint
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
        DECLARE
            removed bigint;
        BEGIN
            IF cutoff > clock_timestamp() - make_interval(days => {floor}) THEN
                RAISE EXCEPTION USING
                    MESSAGE = 'audit retention: entries younger than ' || {floor}
                              || ' days are kept; cutoff ' || cutoff || ' refused',
                    ERRCODE = 'insufficient_privilege';
            END IF;
            PERFORM set_config('kairan.audit_retention', 'on', true);
            -- A council's entries leave only by its approved disposal (the function below).
            DELETE FROM portal_auditentry WHERE at < cutoff AND committee_id IS NULL;
            GET DIAGNOSTICS removed = ROW_COUNT;
            PERFORM set_config('kairan.audit_retention', 'off', true);
            RETURN removed;
        END;
        $$;
        CREATE OR REPLACE FUNCTION {schema}.{dispose}(committee bigint, start timestamptz,
                                                      stop timestamptz) RETURNS bigint
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
        DECLARE
            removed bigint;
        BEGIN
            IF stop > clock_timestamp() - make_interval(days => {floor}) THEN
                RAISE EXCEPTION USING
                    MESSAGE = 'audit disposal: entries younger than ' || {floor}
                              || ' days are kept; stop ' || stop || ' refused',
                    ERRCODE = 'insufficient_privilege';
            END IF;
            PERFORM set_config('kairan.audit_retention', 'on', true);
            DELETE FROM portal_auditentry
             WHERE committee_id = committee AND at >= start AND at < stop;
            GET DIAGNOSTICS removed = ROW_COUNT;
            PERFORM set_config('kairan.audit_retention', 'off', true);
            RETURN removed;
        END;
        $$
        """
    ).format(
        schema=sql.Identifier(schema),
        function=sql.Identifier(FUNCTION),
        dispose=sql.Identifier(DISPOSE_FUNCTION),
        floor=sql.Literal(floor_days),
    )


def install_retention_function(cursor: CursorWrapper, floor_days: int = DEFAULT_FLOOR_DAYS) -> None:
    """(Re)install the function, callable by its owner alone until a role is granted it."""
    cursor.execute("SELECT current_schema()")
    schema = cursor.fetchone()[0]
    cursor.execute(retention_function(schema, floor_days))
    cursor.execute(
        sql.SQL("REVOKE ALL ON FUNCTION {}.{}(timestamptz) FROM PUBLIC").format(
            sql.Identifier(schema), sql.Identifier(FUNCTION)
        )
    )
    cursor.execute(
        sql.SQL(
            "REVOKE ALL ON FUNCTION {}.{}(bigint, timestamptz, timestamptz) FROM PUBLIC"
        ).format(sql.Identifier(schema), sql.Identifier(DISPOSE_FUNCTION))
    )


def grant_app_role(
    cursor: CursorWrapper, role: str, *, floor_days: int, password: str | None = None
) -> bool:
    """Give `role` what the portal needs, the audit log's SELECT and INSERT only. Creates the
    login role first when `password` is given and it does not exist. Returns whether it was
    created. Idempotent: run it after every `migrate`."""
    cursor.execute("SELECT current_user, current_schema()")
    owner, schema = cursor.fetchone()
    if role == owner:
        raise ValueError("the application's role must not be the owner of the tables")
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    created = False
    if cursor.fetchone() is None:
        if password is None:
            raise ValueError(f"role {role!r} does not exist")
        cursor.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)
            )
        )
        created = True
    names = {"role": sql.Identifier(role), "schema": sql.Identifier(schema),
             "function": sql.Identifier(FUNCTION)}  # fmt: skip
    for statement in (
        "GRANT USAGE ON SCHEMA {schema} TO {role}",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
        "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        # Tables a later migration creates (as this owner) get the same rights.
        "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema}"
        " GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA {schema}"
        " GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role}",
        "REVOKE ALL ON {schema}.portal_auditentry FROM {role}",
        "GRANT SELECT, INSERT ON {schema}.portal_auditentry TO {role}",
    ):
        cursor.execute(sql.SQL(statement).format(**names))
    install_retention_function(cursor, floor_days)
    cursor.execute(
        sql.SQL("GRANT EXECUTE ON FUNCTION {schema}.{function}(timestamptz) TO {role}").format(
            **names
        )
    )
    cursor.execute(
        sql.SQL(
            "GRANT EXECUTE ON FUNCTION {schema}.{dispose}(bigint, timestamptz, timestamptz)"
            " TO {role}"
        ).format(dispose=sql.Identifier(DISPOSE_FUNCTION), **names)
    )
    return created
