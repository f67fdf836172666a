"""Search words move from ``Item.search_tokens`` to a narrow table ``ItemSearch``.

Indexing a post's hundred-odd words (the tsvector and its GIN entries on PostgreSQL, the FTS5
rows on SQLite) cost about as much as storing the post itself; apart from the item, a large
batch can be stored first and indexed just after (see ``ItemSearch``). On PostgreSQL the
vector is now stripped of word positions (searches AND words, they never use positions),
which halves it.
"""

import django.db.models.deletion
from django.db import migrations, models

PG_FORWARD = [
    "INSERT INTO monitoring_itemsearch (item_id, tokens) "
    "SELECT id, search_tokens FROM monitoring_item WHERE search_tokens <> ''",
    "DROP INDEX IF EXISTS monitoring_item_search_gin",
    "ALTER TABLE monitoring_item DROP COLUMN IF EXISTS search_vector",
    "ALTER TABLE monitoring_itemsearch ADD COLUMN vector tsvector "
    "GENERATED ALWAYS AS (strip(to_tsvector('simple'::regconfig, tokens))) STORED",
    "CREATE INDEX monitoring_itemsearch_gin ON monitoring_itemsearch USING gin (vector)",
    "ALTER TABLE monitoring_itemsearch ALTER COLUMN vector SET STATISTICS 1000",
]
PG_BACKWARD = [
    "UPDATE monitoring_item i SET search_tokens = s.tokens FROM monitoring_itemsearch s "
    "WHERE s.item_id = i.id",
    "ALTER TABLE monitoring_item ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_tokens)) STORED",
    "CREATE INDEX monitoring_item_search_gin ON monitoring_item USING gin (search_vector)",
    "ALTER TABLE monitoring_item ALTER COLUMN search_vector SET STATISTICS 1000",
]
# The FTS5 table keeps its rows (its rowid is the item id either way); only the triggers that
# feed it move from the item table to the search table, after the words are copied.
SQLITE_FORWARD = [
    "DROP TRIGGER IF EXISTS item_fts_ai",
    "DROP TRIGGER IF EXISTS item_fts_au",
    "DROP TRIGGER IF EXISTS item_fts_ad",
    "CREATE VIRTUAL TABLE IF NOT EXISTS item_fts USING fts5(item_id UNINDEXED, tokens)",
    "INSERT INTO monitoring_itemsearch (item_id, tokens) "
    "SELECT id, search_tokens FROM monitoring_item WHERE search_tokens <> ''",
    "DELETE FROM item_fts",
    "INSERT INTO item_fts(rowid, item_id, tokens) "
    "SELECT item_id, item_id, tokens FROM monitoring_itemsearch",
    "CREATE TRIGGER IF NOT EXISTS item_fts_ai AFTER INSERT ON monitoring_itemsearch BEGIN "
    "INSERT INTO item_fts(rowid, item_id, tokens) VALUES (new.item_id, new.item_id, new.tokens); "
    "END",
    "CREATE TRIGGER IF NOT EXISTS item_fts_au AFTER UPDATE OF tokens ON monitoring_itemsearch "
    "BEGIN DELETE FROM item_fts WHERE rowid = old.item_id; "
    "INSERT INTO item_fts(rowid, item_id, tokens) VALUES (new.item_id, new.item_id, new.tokens); "
    "END",
    "CREATE TRIGGER IF NOT EXISTS item_fts_ad AFTER DELETE ON monitoring_itemsearch BEGIN "
    "DELETE FROM item_fts WHERE rowid = old.item_id; END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS item_fts_ai",
    "DROP TRIGGER IF EXISTS item_fts_au",
    "DROP TRIGGER IF EXISTS item_fts_ad",
    "UPDATE monitoring_item SET search_tokens = COALESCE((SELECT tokens FROM "
    "monitoring_itemsearch s WHERE s.item_id = monitoring_item.id), '')",
    "CREATE TRIGGER IF NOT EXISTS item_fts_ai AFTER INSERT ON monitoring_item BEGIN "
    "INSERT INTO item_fts(rowid, item_id, tokens) VALUES (new.id, new.id, new.search_tokens); END",
    "CREATE TRIGGER IF NOT EXISTS item_fts_au AFTER UPDATE OF search_tokens ON monitoring_item "
    "BEGIN DELETE FROM item_fts WHERE rowid = old.id; "
    "INSERT INTO item_fts(rowid, item_id, tokens) VALUES (new.id, new.id, new.search_tokens); END",
    "CREATE TRIGGER IF NOT EXISTS item_fts_ad AFTER DELETE ON monitoring_item BEGIN "
    "DELETE FROM item_fts WHERE rowid = old.id; END",
]


def _run(schema_editor, statements):
    for sql in statements:
        schema_editor.execute(sql)


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, PG_FORWARD)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_FORWARD)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, PG_BACKWARD)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0009_thread_watch_item_change_run_outcome"),
    ]

    operations = [
        migrations.CreateModel(
            name="ItemSearch",
            fields=[
                (
                    "item",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search",
                        serialize=False,
                        to="monitoring.item",
                    ),
                ),
                ("tokens", models.TextField(blank=True)),
            ],
            options={
                "verbose_name": "检索词",
                "verbose_name_plural": "检索词",
            },
        ),
        migrations.RunPython(forward, backward, elidable=False),
        migrations.RemoveField(
            model_name="item",
            name="search_tokens",
        ),
    ]
