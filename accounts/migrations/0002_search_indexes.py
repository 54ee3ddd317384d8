"""Prefix search on lower(username) and lower(display_name) (GET /users/?search=).

PostgreSQL can serve `lower(col) LIKE 'term%'` from a btree index only with the
text_pattern_ops operator class, which Django's Index cannot express portably; SQLite
needs nothing. So this migration runs on PostgreSQL only.
"""

from django.db import migrations

INDEXES = {
    "accounts_user_username_prefix": "lower(username) text_pattern_ops",
    "accounts_user_display_name_prefix": "lower(display_name) text_pattern_ops",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, expression in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON accounts_user ({expression})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
