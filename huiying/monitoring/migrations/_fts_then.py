"""The SQLite FTS5 triggers as migrations 0003-0009 made them (on monitoring_item); migration
0010 moved them to monitoring_itemsearch. Frozen here: a migration must not use live code."""

FTS_SQL_THEN = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS item_fts USING fts5(item_id UNINDEXED, tokens)",
    "CREATE TRIGGER IF NOT EXISTS item_fts_ai AFTER INSERT ON monitoring_item BEGIN "
    "INSERT INTO item_fts(rowid, item_id, tokens) VALUES (new.id, new.id, new.search_tokens); END",
    "CREATE TRIGGER IF NOT EXISTS item_fts_au AFTER UPDATE OF search_tokens ON monitoring_item BEGIN "
    "DELETE FROM item_fts WHERE rowid = old.id; "
    "INSERT INTO item_fts(rowid, item_id, tokens) VALUES (new.id, new.id, new.search_tokens); END",
    "CREATE TRIGGER IF NOT EXISTS item_fts_ad AFTER DELETE ON monitoring_item BEGIN "
    "DELETE FROM item_fts WHERE rowid = old.id; END",
)
