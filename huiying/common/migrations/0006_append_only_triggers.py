"""On PostgreSQL, audit events refuse UPDATE and DELETE, and the chain head only moves forward.

The triggers bind every role, the table owner included, until someone who owns the table
disables them: the application therefore runs as a role that does not own its tables (README,
"Security model"), and then cannot change the audit trail even with its own credentials.
TRUNCATE does not fire row triggers; that role is not granted TRUNCATE. SQLite has no roles to
separate, so nothing is installed there.
"""

from django.db import migrations

INSTALL = """
CREATE OR REPLACE FUNCTION huiying_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'huiying: % on % refused: audit records are append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER huiying_append_only BEFORE UPDATE OR DELETE ON common_auditevent
    FOR EACH ROW EXECUTE FUNCTION huiying_refuse_change();

CREATE OR REPLACE FUNCTION huiying_chain_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'huiying: the audit chain head cannot be deleted'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.id <> OLD.id OR NEW.last_seq <= OLD.last_seq OR NOT EXISTS (
        SELECT 1 FROM common_auditevent WHERE seq = NEW.last_seq AND hash = NEW.last_hash
    ) THEN
        RAISE EXCEPTION 'huiying: the audit chain head moves only forward, to an existing event (#% to #%)',
            OLD.last_seq, NEW.last_seq
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER huiying_chain_head_forward BEFORE UPDATE OR DELETE ON common_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION huiying_chain_head_forward();
"""

REMOVE = """
DROP TRIGGER IF EXISTS huiying_chain_head_forward ON common_auditchainhead;
DROP FUNCTION IF EXISTS huiying_chain_head_forward();
DROP TRIGGER IF EXISTS huiying_append_only ON common_auditevent;
DROP FUNCTION IF EXISTS huiying_refuse_change();
"""


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0005_keyed_audit_chain"),
    ]

    operations = [migrations.RunPython(_run(INSTALL), _run(REMOVE), elidable=False)]
