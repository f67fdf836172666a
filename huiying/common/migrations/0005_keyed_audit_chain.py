"""Re-hash an existing audit chain with the audit key (HMAC-SHA256 instead of plain SHA-256).

The old chain is verified first: a chain that is already broken is not laundered into a valid
keyed one; the migration stops and says where it breaks. The canonical form of an event is
copied here, frozen, so that later changes to huiying/common/audit.py cannot change what this
migration computed.
"""

import datetime as dt
import hashlib
import hmac
import json

from django.db import migrations

GENESIS = "0" * 64
BATCH = 5000
COLUMNS = (
    "pk",
    "seq",
    "created_at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "reason",
    "meta",
    "prev_hash",
    "hash",
)


def _canonical(row, prev_hash):
    seq, created_at, actor_id, label, action, otype, oid, before, after, reason, meta = row[1:12]
    body = {
        "seq": seq,
        "created_at": created_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor_label": label,
        "action": action,
        "object_type": otype,
        "object_id": oid,
        "before": before,
        "after": after,
        "reason": reason,
        "meta": meta,
        "prev_hash": prev_hash,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _plain(body):
    return hashlib.sha256(body).hexdigest()


def _keyed():
    from huiying.common.audit_key import audit_key, derived

    key = derived(audit_key(create=True), "chain-v1")
    return lambda body: hmac.digest(key, body, hashlib.sha256).hex()


def _rows(AuditEvent):
    last = 0
    while True:
        rows = list(
            AuditEvent.objects.filter(seq__gt=last).order_by("seq").values_list(*COLUMNS)[:BATCH]
        )
        if not rows:
            return
        yield from rows
        last = rows[-1][1]


def _rehash(apps, schema_editor, old, new, what):
    AuditEvent = apps.get_model("common", "AuditEvent")
    Head = apps.get_model("common", "AuditChainHead")
    first = AuditEvent.objects.order_by("seq").values_list(*COLUMNS).first()
    if first is None:
        return
    if new(_canonical(first, GENESIS)) == first[-1]:
        return  # already in the new form (a database restored after this migration ran)
    old_prev = new_prev = GENESIS
    expected = 1
    updates = []
    # The table's own name, not input: nothing to inject.
    update = f"UPDATE {AuditEvent._meta.db_table} SET prev_hash = %s, hash = %s WHERE id = %s"  # noqa: S608
    with schema_editor.connection.cursor() as cursor:
        for row in _rows(AuditEvent):
            pk, seq, prev_hash, digest = row[0], row[1], row[12], row[13]
            if seq != expected or prev_hash != old_prev or old(_canonical(row, old_prev)) != digest:
                raise RuntimeError(
                    f"审计链在事件 #{seq} 处已断裂，不能{what}。请先用旧版本运行 "
                    "huiying audit verify 查明原因；断裂的审计链不会被重新计算成完整的。"
                )
            new_hash = new(_canonical(row, new_prev))
            updates.append((new_prev, new_hash, pk))
            old_prev, new_prev, expected = digest, new_hash, seq + 1
            if len(updates) >= BATCH:
                cursor.executemany(update, updates)
                updates = []
        if updates:
            cursor.executemany(update, updates)
    head = Head.objects.filter(pk=1).first()
    if head is None or head.last_seq != expected - 1 or head.last_hash != old_prev:
        raise RuntimeError(f"审计链头与事件不符（末尾事件可能被删除），不能{what}。")
    Head.objects.filter(pk=1).update(last_hash=new_prev)


def _empty(apps):
    return not apps.get_model("common", "AuditEvent").objects.exists()


def forward(apps, schema_editor):
    if not _empty(apps):  # a new installation gets its key on first use, not here
        _rehash(apps, schema_editor, _plain, _keyed(), "改为带密钥的审计链")


def backward(apps, schema_editor):
    if not _empty(apps):
        _rehash(apps, schema_editor, _keyed(), _plain, "改回不带密钥的审计链")


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0004_field_labels"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
