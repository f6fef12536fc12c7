# Hand-written: keep this migration when migrations are regenerated.
#
# The audit log is append-only in fact on PostgreSQL: a trigger refuses every UPDATE and
# every DELETE of portal_auditentry. The only exception is the retention job
# (portal/auditlog/retention.py), which sets the transaction-local setting
# `kairan.audit_retention = 'on'` around its DELETE of expired rows. UPDATE is never allowed.
# On other databases (SQLite in the demo) this migration does nothing; see docs/security.md.

from django.db import migrations

FUNCTION = "kairan_audit_append_only"
TRIGGER = "portal_auditentry_append_only"

# One statement per item; no "%" anywhere, so no driver ever reads a placeholder.
INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND current_setting('kairan.audit_retention', true) = 'on' THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION USING
            MESSAGE = 'portal_auditentry is append-only: ' || TG_OP || ' refused',
            ERRCODE = 'insufficient_privilege',
            HINT = 'Audit entries are only removed by the retention job.';
    END;
    $$
    """,
    f"DROP TRIGGER IF EXISTS {TRIGGER} ON portal_auditentry",
    f"""
    CREATE TRIGGER {TRIGGER}
        BEFORE UPDATE OR DELETE ON portal_auditentry
        FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()
    """,
]

REMOVE = [
    f"DROP TRIGGER IF EXISTS {TRIGGER} ON portal_auditentry",
    f"DROP FUNCTION IF EXISTS {FUNCTION}()",
]


def _run(schema_editor, statements):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite and others: no trigger (docs/security.md says so)
    for statement in statements:
        schema_editor.execute(statement, params=None)


def install(apps, schema_editor):
    _run(schema_editor, INSTALL)


def remove(apps, schema_editor):
    _run(schema_editor, REMOVE)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0002_security_logreview_privacy_notice"),
    ]

    operations = [migrations.RunPython(install, remove, elidable=False)]
