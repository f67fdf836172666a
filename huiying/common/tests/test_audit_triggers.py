"""On PostgreSQL the audit and signature tables refuse UPDATE and DELETE, the chain head only
moves forward, and the application's role as the README sets it up cannot switch that off."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from huiying.cases.models import Signature, Status
from huiying.cases.tests.builders import to_status
from huiying.common.audit import record_event
from huiying.common.models import AuditChainHead, AuditEvent

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the triggers and roles are PostgreSQL's"
)


def record(count: int) -> None:
    with transaction.atomic():
        for n in range(count):
            record_event(actor=None, action="test.step", object_type="test", object_id=n)


def refused(sql: str, *params: Any) -> str:
    """Run ``sql`` in a savepoint and return PostgreSQL's refusal."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as c:
        c.execute(sql, params)
    return str(caught.value)


def test_audit_events_refuse_update_and_delete(db: None) -> None:
    record(2)
    assert "append-only" in refused("UPDATE common_auditevent SET reason = 'x' WHERE seq = 1")
    assert "append-only" in refused("DELETE FROM common_auditevent WHERE seq = 2")
    assert AuditEvent.objects.count() == 2


def test_signatures_refuse_update_and_delete(city: object) -> None:
    form = to_status(city, Status.SIGNED)
    sig = Signature.objects.get(assignment=form)
    message = refused(
        "UPDATE cases_signature SET content_hash = %s WHERE id = %s", "0" * 64, sig.pk
    )
    assert "signatures are append-only" in message
    assert "append-only" in refused("DELETE FROM cases_signature WHERE id = %s", sig.pk)


def test_the_chain_head_moves_only_forward(db: None) -> None:
    record(3)
    first = AuditEvent.objects.get(seq=1)
    assert "moves only forward" in refused(
        "UPDATE common_auditchainhead SET last_seq = 1, last_hash = %s WHERE id = 1", first.hash
    )
    assert "moves only forward" in refused(
        "UPDATE common_auditchainhead SET last_seq = 9, last_hash = %s WHERE id = 1", "f" * 64
    )
    assert "cannot be deleted" in refused("DELETE FROM common_auditchainhead")
    record(1)  # the application's own appends still move it
    assert AuditChainHead.objects.get(pk=1).last_seq == 4


@pytest.fixture
def app_role(db: None) -> Iterator[str]:
    """A role set up as the README says, created inside the test's transaction (rolled back)."""
    role = f"huiying_app_test_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
        cursor.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"
        )
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
        cursor.execute(f"REVOKE UPDATE, DELETE ON common_auditevent, cases_signature FROM {role}")
        cursor.execute(f"SET LOCAL ROLE {role}")
    yield role
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def test_the_application_role_cannot_switch_the_protection_off(app_role: str) -> None:
    record(2)  # the application works: INSERT of events, UPDATE of the head
    assert "must be owner" in refused("ALTER TABLE common_auditevent DISABLE TRIGGER ALL")
    assert "permission denied" in refused("SET session_replication_role = replica")
    assert "permission denied" in refused("TRUNCATE common_auditevent")
    assert "must be owner" in refused("DROP TRIGGER huiying_append_only ON common_auditevent")
    assert "permission denied" in refused("UPDATE common_auditevent SET reason = 'x'")
    assert "moves only forward" in refused(
        "UPDATE common_auditchainhead SET last_seq = 0, last_hash = %s", "0" * 64
    )
    assert AuditEvent.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_flushing_a_test_database_still_works() -> None:
    """pytest-django empties tables with TRUNCATE, which row triggers do not see."""
    record(2)
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists() and not AuditChainHead.objects.exists()
