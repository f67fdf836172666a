"""Generated requests against the OpenAPI schema: no server error, and every answer as the
schema says (status, content type, body), for several roles, on forms in every state.

schemathesis reads /api/schema/ and generates requests from it, valid ones and ones that
break the schema on purpose; they go to the Django application in this process (WSGI, no
network), with real tokens of a 网信办 monitor, a reviewer, a unit's handler and a person with
no role. Form ids are mostly those of the seeded forms, so that the steps of the transitions
table are reached (and taken: a generated step that is allowed changes the form), and some
are generated. Every failure is collected and the test lists them all.

Two passes, each bounded (about 1,000 to 2,300 requests): schemathesis's coverage phase (the
boundary and just-invalid values of every parameter and field, a fixed list) as a reviewer,
then ``EXAMPLES`` random requests per operation, role and mode with a fixed seed (the same
requests every run) and no shrinking. Run alone with ``pytest -m schemathesis``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone

from huiying.accounts.tokens import token_issue
from huiying.cases import services
from huiying.cases.models import Assignment, Milestone, Status
from huiying.cases.tests.builders import PHONE, draft, to_status
from huiying.orgs.models import Unit

schemathesis = pytest.importorskip("schemathesis")

pytestmark = [pytest.mark.django_db, pytest.mark.schemathesis]

EXAMPLES = 4  # per operation, role and mode
# The list's query (filters, times, page size) is where odd values reach the database.
LIST_EXAMPLES = 15
ROLES = ("monitor", "reviewer", "housing_handler", "outsider")
NEGATIVE_ROLES = ("reviewer", "housing_handler")
MAX_REPORTED = 30


@contextmanager
def connection_kept() -> Iterator[None]:
    """Requests share the test's connection and transaction, as with Django's test client
    (which disconnects the same handlers): closing it per request would end the test."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def seed(city: Any) -> list[int]:
    """A form in every status, a phoned-in one before and after its back-fill, a matter with a
    co-unit, a pending extension: ids the generated requests act on."""
    forms = [to_status(city, status) for status in Status.values]
    forms.append(to_status(city, PHONE))
    backfilled = to_status(city, PHONE)
    services.form_backfill(form=backfilled, actor=city.reviewer, summary="已补填")
    forms.append(backfilled)
    matter = draft(city, co_units=(city.district,))
    forms += list(Assignment.objects.filter(thread=matter.thread))
    signed = to_status(city, Status.SIGNED)
    services.form_request_extension(
        form=signed,
        actor=city.housing_handler,
        until=timezone.now() + dt.timedelta(days=400),
        reason="需要协调",
    )
    forms.append(signed)
    return sorted({f.pk for f in forms} | {f.pk for f in Assignment.objects.all()})


def refiner(path: str, codes: list[str], milestones: list[int]) -> Callable[..., None] | None:
    """Generated unit codes and milestone ids are almost never real: use real ones, so that
    drafting, reassigning and recording milestones are reached too."""
    from hypothesis import strategies as st

    code = st.sampled_from(codes)
    if path == "/api/v1/forms/":

        def draft_body(body: dict[str, Any], draw: Any) -> None:
            body["lead_unit"] = draw(code)
            body["co_units"] = draw(st.lists(code, max_size=2, unique=True))

        return draft_body
    if path.endswith("/actions/reassign/"):
        return lambda body, draw: body.__setitem__("unit", draw(code))
    if path.endswith("/actions/record_milestone/") and milestones:
        return lambda body, draw: body.__setitem__("milestone", draw(st.sampled_from(milestones)))
    return None


def _checks() -> list[Any]:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]


def explore(
    cases: Any,
    label: str,
    checks: list[Any],
    failures: list[str],
    refine: Callable[[dict[str, Any], Any], None] | None = None,
    examples: int = EXAMPLES,
) -> int:
    """Send ``EXAMPLES`` generated requests; their failures go to ``failures``. ``refine``
    may put real values (unit codes, milestone ids) into a generated body."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from hypothesis.errors import Unsatisfiable

    sent = 0

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases, data=st.data())
    def run(case: Any, data: Any) -> None:
        nonlocal sent
        sent += 1
        if refine is not None and isinstance(case.body, dict):
            refine(case.body, data.draw)
        try:
            case.call_and_validate(checks=checks)
        except (Exception, BaseExceptionGroup) as exc:  # a failed check: collect, keep going
            if len(failures) < MAX_REPORTED:
                failures.append(
                    f"{case.method} {case.formatted_path} ({label}): "
                    f"{type(exc).__name__}: {str(exc)[:800]}"
                )

    try:
        run()
    except Unsatisfiable:
        # Nothing of this operation can be made invalid (no parameters, no body, the id fixed):
        # there are no negative requests to send.
        if "negative" not in label:
            raise
    return sent


class Run:
    """The application, its schema read with a real token, and a token per role."""

    def __init__(self, city: Any) -> None:
        self.ids = seed(city)
        self.app = WSGIHandler()
        self.tokens = {
            role: token_issue(
                user=getattr(city, role),
                name="schemathesis",
                two_factor=True,
                actor=None,
                via="test",
            ).key
            for role in ROLES
        }
        self.codes = list(Unit.objects.filter(is_active=True).values_list("code", flat=True))
        self.milestones = list(Milestone.objects.values_list("pk", flat=True))
        self.checks = _checks()
        self.failures: list[str] = []

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Token {self.tokens[role]}"} if role in self.tokens else {}

    def operations(self) -> list[Any]:
        schema = schemathesis.openapi.from_wsgi(
            "/api/schema/?format=json", self.app, headers=self.auth("reviewer")
        )
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 20
        # Reads first, so that they see the seeded states before the steps move them.
        return sorted(operations, key=lambda op: (op.method.upper() != "GET", op.path))


def _cases_for(op: Any, mode: Any, headers: dict[str, str]) -> Callable[[int], Any]:
    """Cases of ``op`` with the form id given (mostly a seeded form's)."""
    return lambda pk: op.as_strategy(mode, path_parameters={"id": pk}, headers=headers)


def _role_for(op: Any, role: str) -> str:
    return "anonymous" if op.path.endswith("/auth/token/") else role


def test_boundary_requests_from_the_schema(city: Any) -> None:
    """schemathesis's coverage phase: for each operation its boundary and just-invalid values
    (lengths, enums, ranges, types, odd ids), sent as a 网信办 reviewer, who sees every form."""
    from schemathesis import GenerationMode

    run = Run(city)
    sent = 0
    with connection_kept():
        for op in run.operations():
            headers = run.auth(_role_for(op, "reviewer"))
            config = op.schema.config.generation_for(operation=op)
            modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
            for case in op.schema.iter_coverage_cases(
                op, generation_modes=modes, generation_config=config
            ):
                sent += 1
                pk = (case.path_parameters or {}).get("id")
                if isinstance(pk, int) and not isinstance(pk, bool):  # a real form, mostly
                    case.path_parameters = {
                        **case.path_parameters,
                        "id": run.ids[sent % len(run.ids)],
                    }
                try:
                    case.call_and_validate(headers=headers, checks=run.checks)
                except (Exception, BaseExceptionGroup) as exc:
                    if len(run.failures) < MAX_REPORTED:
                        run.failures.append(
                            f"{case.method} {case.formatted_path} {case.query or ''}: "
                            f"{type(exc).__name__}: {str(exc)[:800]}"
                        )
    assert sent > 1000
    assert run.failures == [], "\n\n".join(run.failures)


def test_generated_requests_for_every_role(city: Any) -> None:
    """Random requests valid by the schema for four roles, and invalid ones for two."""
    from hypothesis import strategies as st
    from schemathesis import GenerationMode

    run = Run(city)
    sent = 0
    with connection_kept():
        operations = run.operations()
        for op in operations:
            is_list = op.method.upper() == "GET" and op.path == "/api/v1/forms/"
            refine = refiner(op.path, run.codes, run.milestones)
            for role in {_role_for(op, r): None for r in ROLES}:
                headers = run.auth(role)
                # Invalid requests for two roles: the refusals come before any role check.
                modes = [GenerationMode.POSITIVE]
                if role in NEGATIVE_ROLES:
                    modes.append(GenerationMode.NEGATIVE)
                for mode in modes:
                    if "{id}" in op.path:
                        pk = st.sampled_from([*run.ids, 0, 10**12])
                        cases = pk.flatmap(_cases_for(op, mode, headers))
                    else:
                        cases = op.as_strategy(mode, headers=headers)
                    sent += explore(
                        cases,
                        f"{role}, {mode.value}",
                        run.checks,
                        run.failures,
                        refine if mode is GenerationMode.POSITIVE else None,
                        LIST_EXAMPLES if is_list else EXAMPLES,
                    )
    assert sent >= len(operations) * EXAMPLES * 3
    assert run.failures == [], "\n\n".join(run.failures)
