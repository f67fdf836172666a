"""Full-text index over Item.search_tokens (rjieba words, space-separated).

PostgreSQL: a stored generated tsvector column (``simple`` configuration, so each word is
a lexeme as segmented) with a GIN index. It is stored rather than an expression index so
that a plan walking ``posted_at`` newest-first can test the match cheaply row by row.

SQLite: an FTS5 table ``item_fts(item_id UNINDEXED, tokens)`` whose rowid is the item id,
kept in sync by triggers (search.ensure_sqlite_fts re-creates them if a table rebuild by a
later migration dropped them).
"""

from django.db import migrations

PG_FORWARD = [
    "ALTER TABLE monitoring_item ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_tokens)) STORED",
    "CREATE INDEX monitoring_item_search_gin ON monitoring_item USING gin (search_vector)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS monitoring_item_search_gin",
    "ALTER TABLE monitoring_item DROP COLUMN IF EXISTS search_vector",
]
SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS item_fts USING fts5(item_id UNINDEXED, tokens)",
    "CREATE TRIGGER IF NOT EXISTS item_fts_ai AFTER INSERT ON monitoring_item BEGIN "
    "INSERT INTO item_fts(rowid, item_id, tokens) VALUES (new.id, new.id, new.search_tokens); END",
    "CREATE TRIGGER IF NOT EXISTS item_fts_au AFTER UPDATE OF search_tokens ON monitoring_item BEGIN "
    "DELETE FROM item_fts WHERE rowid = old.id; "
    "INSERT INTO item_fts(rowid, item_id, tokens) VALUES (new.id, new.id, new.search_tokens); END",
    "CREATE TRIGGER IF NOT EXISTS item_fts_ad AFTER DELETE ON monitoring_item BEGIN "
    "DELETE FROM item_fts WHERE rowid = old.id; END",
    "INSERT INTO item_fts(rowid, item_id, tokens) SELECT id, id, search_tokens FROM monitoring_item",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS item_fts_ai",
    "DROP TRIGGER IF EXISTS item_fts_au",
    "DROP TRIGGER IF EXISTS item_fts_ad",
    "DROP TABLE IF EXISTS item_fts",
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
        ("monitoring", "0002_item_simhash_bands_watchalert"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
