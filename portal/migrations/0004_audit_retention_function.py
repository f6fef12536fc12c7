# Hand-written: keep this migration when migrations are regenerated.
#
# Retention deletes through kairan_expire_audit_entries(cutoff), a SECURITY DEFINER function
# owned by the role that runs the migrations (portal/auditlog/db_roles.py). With the
# application logging in as a second role that has only SELECT and INSERT on the log
# (`manage.py grant_app_role`), no session of the application can change or remove an
# entry. On other databases (SQLite in the demo) this migration does nothing.

from django.db import migrations

from portal.auditlog.db_roles import DISPOSE_FUNCTION, FUNCTION, install_retention_function


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        install_retention_function(cursor)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}(timestamptz)", params=None)
    schema_editor.execute(
        f"DROP FUNCTION IF EXISTS {DISPOSE_FUNCTION}(bigint, timestamptz, timestamptz)",
        params=None,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0003_security_audit_append_only"),
    ]

    operations = [migrations.RunPython(install, remove, elidable=False)]
