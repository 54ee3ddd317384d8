"""Full-text search index for GET /tweets/?q= on PostgreSQL.

The expression is exactly what tweets.selectors builds with SearchVector("text",
config="english"), so the planner can use the index. SQLite searches without one.
"""

from django.db import migrations

INDEX = (
    "CREATE INDEX IF NOT EXISTS tweets_tweet_text_fts ON tweets_tweet "
    "USING gin (to_tsvector('english'::regconfig, COALESCE(text, '')))"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS tweets_tweet_text_fts")


class Migration(migrations.Migration):
    dependencies = [("tweets", "0001_initial")]
    operations = [migrations.RunPython(create, drop, elidable=False)]
