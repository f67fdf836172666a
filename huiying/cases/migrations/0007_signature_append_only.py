"""On PostgreSQL, signatures (签收记录) refuse UPDATE and DELETE, as audit events do.

See huiying/common/migrations/0006_append_only_triggers.py for why a trigger and what the
application's database role must not be allowed (README, "Security model").
"""

from django.db import migrations

INSTALL = """
CREATE OR REPLACE FUNCTION cases_signature_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'huiying: % on % refused: signatures are append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER huiying_append_only BEFORE UPDATE OR DELETE ON cases_signature
    FOR EACH ROW EXECUTE FUNCTION cases_signature_refuse_change();
"""

REMOVE = """
DROP TRIGGER IF EXISTS huiying_append_only ON cases_signature;
DROP FUNCTION IF EXISTS cases_signature_refuse_change();
"""


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_backfill_confirmation"),
    ]

    operations = [migrations.RunPython(_run(INSTALL), _run(REMOVE), elidable=False)]
