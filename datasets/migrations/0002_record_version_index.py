"""Find a version's records without slowing their bulk load.

Records are appended version after version, so on PostgreSQL a BRIN index on the
version (a few kilobytes, almost free to maintain) finds them; SQLite, the
embedded default, gets an ordinary index.
"""

from typing import Any

from django.db import migrations

TABLES = ("datasets_shortagerecord",)


def create(apps: Any, schema_editor: Any) -> None:
    method = "USING brin " if schema_editor.connection.vendor == "postgresql" else ""
    for table in TABLES:
        schema_editor.execute(
            f"CREATE INDEX {table}_version ON {table} {method}(version_id)"
        )


def drop(apps: Any, schema_editor: Any) -> None:
    for table in TABLES:
        schema_editor.execute(f"DROP INDEX {table}_version")


class Migration(migrations.Migration):
    dependencies = [("datasets", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
