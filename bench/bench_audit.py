"""Benchmark of ``huiying audit verify`` at a city's scale, on PostgreSQL.

    .venv/bin/python bench/bench_audit.py [--forms 100000] [--events 1000000]

Loads N forms (as bench_forms.py does) and a keyed audit chain of M events into PostgreSQL
(DATABASE_URL, default postgres://postgres@127.0.0.1:5432/huiying_bench_audit; created and
migrated if missing): for every form the events its life would have written (create, submit,
issue with its content record, sign, …, each with the status it left), then filler events up to
M. Then it writes a checkpoint and times the whole verification: chain, checkpoints, and the
replay of every form. The data is consistent, so verification must find nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/huiying_bench_audit"
TARGET_S = 600.0  # "minutes, not hours"

# The steps each final status went through: (action, status it left the form in).
PATHS: dict[str, list[tuple[str, str]]] = {
    "draft": [],
    "in_review": [("submit", "in_review")],
    "returned": [("submit", "in_review"), ("return", "returned")],
}
_ISSUED = [("submit", "in_review"), ("issue", "issued")]
_DONE = [("sign", "signed"), ("respond", "responded"), ("file_feedback", "feedback_filed")]
PATHS |= {
    "issued": _ISSUED,
    "signed": [*_ISSUED, _DONE[0]],
    "responded": [*_ISSUED, *_DONE[:2]],
    "feedback_filed": [*_ISSUED, *_DONE],
    "rework": [*_ISSUED, *_DONE, ("send_back", "rework")],
    "closed": [*_ISSUED, *_DONE, ("accept", "closed")],
    "relief_requested": [*_ISSUED, ("request_relief", "relief_requested")],
    "reassigned": [*_ISSUED, ("reassign", "reassigned")],
    "withdrawn": [*_ISSUED, ("withdraw", "withdrawn")],
}


def form_events(limit: int) -> Iterator[dict[str, Any]]:
    """The events of every form's life, form by form (their content read in batches)."""
    from django.db.models import Prefetch

    from huiying.cases.content import content_record
    from huiying.cases.models import Assignment, Attachment

    last, emitted = 0, 0
    files = Attachment.objects.filter(response__isnull=True, feedback__isnull=True)
    while emitted < limit:
        batch = list(
            Assignment.objects.filter(pk__gt=last)
            .order_by("pk")
            .select_related("unit")
            .prefetch_related("source_items", Prefetch("attachments", queryset=files))[:2000]
        )
        if not batch:
            return
        for form in batch:
            yield {"action": "assignment.create", "object_id": str(form.pk), "after": {}}
            record = None
            for action, status in PATHS[form.status]:
                after: dict[str, Any] = {"status": status}
                meta: dict[str, Any] = {}
                if action == "issue":
                    after |= {"number": form.number, "reviewer": form.reviewer_id}
                if action in ("issue", "sign"):
                    record = record or content_record(form)
                    meta["content"] = record
                yield {
                    "action": f"assignment.{action}",
                    "object_id": str(form.pk),
                    "after": after,
                    "meta": meta,
                }
                emitted += 1
            emitted += 1
        last = batch[-1].pk


def load_events(url: str, target: int, rng: random.Random) -> None:
    """COPY the events through a connection of their own: Django's reads the forms meanwhile
    (one psycopg connection cannot run a query while it is copying)."""
    import psycopg

    from huiying.common.audit import chain_key, compute_hash
    from huiying.common.models import AuditChainHead, AuditEvent

    if AuditEvent.objects.filter(object_type="bench.filler").exists():
        print("events: already loaded, skipping", file=sys.stderr)
        return
    started = time.perf_counter()
    key = chain_key()
    columns = (
        "seq, created_at, actor_id, actor_label, action, object_type, object_id, "
        "before, after, reason, meta, prev_hash, hash"
    )
    head = AuditChainHead.objects.get(pk=1)
    seq, prev = head.last_seq, head.last_hash
    have = seq
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=target)

    def events() -> Iterator[dict[str, Any]]:
        yield from form_events(target - have)
        filler = 0
        while True:
            filler += 1
            yield {"action": "bench.step", "object_type": "bench.filler", "object_id": str(filler)}

    with psycopg.connect(url) as conn:
        with conn.cursor().copy(f"COPY common_auditevent ({columns}) FROM STDIN") as copy:
            for event in events():
                if seq >= target:
                    break
                seq += 1
                moment += dt.timedelta(microseconds=rng.randint(1, 1_000_000))
                fields: dict[str, Any] = {
                    "seq": seq,
                    "created_at": moment,
                    "actor_id": None,
                    "actor_label": "bench",
                    "action": event["action"],
                    "object_type": event.get("object_type", "assignment"),
                    "object_id": event["object_id"],
                    "before": {},
                    "after": event.get("after", {}),
                    "reason": "",
                    "meta": event.get("meta", {}),
                    "prev_hash": prev,
                }
                prev = compute_hash(key=key, **fields)
                copy.write_row(
                    (
                        *(fields[c] for c in ("seq", "created_at", "actor_id", "actor_label")),
                        *(fields[c] for c in ("action", "object_type", "object_id")),
                        json.dumps(fields["before"], ensure_ascii=False),
                        json.dumps(fields["after"], ensure_ascii=False),
                        "",
                        json.dumps(fields["meta"], ensure_ascii=False),
                        fields["prev_hash"],
                        prev,
                    )
                )
                if seq % 100_000 == 0:
                    print(
                        f"events: {seq:,} ({time.perf_counter() - started:.0f} s)", file=sys.stderr
                    )
        # Forward only, to an event that exists: the head's trigger lets this through.
        conn.execute(
            "UPDATE common_auditchainhead SET last_seq = %s, last_hash = %s WHERE id = 1",
            (seq, prev),
        )
    print(f"events: {seq:,} loaded in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--forms", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    from bench_forms import analyze, ensure_database, load_forms, setup_django

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = DEFAULT_URL
    ensure_database(url)
    # The key and the checkpoints of this bench's own chain, beside its database.
    var = ROOT / "var" / "bench-audit"
    os.environ.setdefault("HUIYING_AUDIT_KEY_FILE", str(var / "audit.key"))
    os.environ.setdefault("HUIYING_AUDIT_CHECKPOINT_FILE", str(var / "checkpoints.jsonl"))
    setup_django(url)
    from huiying.common.audit_verify import verify
    from huiying.common.checkpoints import write_checkpoint

    rng = random.Random(args.seed)
    load_forms(args.forms, rng)
    load_events(url, args.events, rng)
    analyze()
    cp = write_checkpoint(reason="bench")
    assert cp.problem is None, cp.problem
    t0 = time.perf_counter()
    report = verify()
    elapsed = time.perf_counter() - t0
    t1 = time.perf_counter()
    chain_only = verify(checks=False)
    chain_s = time.perf_counter() - t1
    print(
        f"audit verify: {report.events:,} events, {len(report.problems)} problems, "
        f"{elapsed:.1f} s in all ({report.events / elapsed:,.0f} events/s); "
        f"chain and checkpoints alone {chain_s:.1f} s"
    )
    for line in [*report.notes, *report.problems[:5], *chain_only.problems[:1]]:
        print(f"  {line}")
    flag = "" if elapsed < TARGET_S and report.ok else "  <-- over target or not clean"
    print(f"target: < {TARGET_S:.0f} s with no problem{flag}")
    if not report.ok:
        sys.exit(1)  # consistent data must verify clean: a problem here is a false alarm


if __name__ == "__main__":
    main()
