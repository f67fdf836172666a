"""PostgreSQL: finer statistics on the search tsvector.

With the default statistics target a rare word is estimated at 0.5 % of the rows, so for
"newest matches first" the planner walks the posted_at index and filters row by row; on a
million items a word with 300 matches then took 0.5-7 s. With target 1000 the lexeme
statistics are fine-grained enough that rare words go through the GIN index (7 ms) and
common ones through posted_at (5-10 ms). Measured by bench/bench_search.py.
"""

from django.db import migrations


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE monitoring_item ALTER COLUMN search_vector SET STATISTICS 1000"
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE monitoring_item ALTER COLUMN search_vector SET STATISTICS -1"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0003_item_fulltext"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
