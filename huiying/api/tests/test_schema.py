"""The OpenAPI 3 schema at /api/schema/: valid, warning-free, and naming every endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from huiying.api.tests.support import client_for
from huiying.cases import limits
from huiying.cases.clocks import State
from huiying.cases.transitions import BY_ACTION

pytestmark = pytest.mark.django_db


def test_the_schema_validates_without_warnings(tmp_path: Path) -> None:
    out = tmp_path / "openapi.yaml"
    # --fail-on-warn: an enum collision or an un-introspectable view fails the build.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Huiying 回应 API"


def test_the_schema_is_served_and_lists_every_endpoint(city: Any) -> None:
    response = client_for(city, "housing_handler").get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    expected = {
        "/api/v1/auth/token/",
        "/api/v1/auth/tokens/",
        "/api/v1/auth/tokens/{id}/",
        "/api/v1/transitions/",
        "/api/v1/forms/",
        "/api/v1/forms/{id}/",
        "/api/v1/forms/{id}/events/",
        *(f"/api/v1/forms/{{id}}/actions/{action}/" for action in BY_ACTION),
    }
    assert set(paths) == expected
    assert set(paths["/api/v1/forms/"]) == {"get", "post"}
    # Each step documents its own payload and its refusals.
    respond = paths["/api/v1/forms/{id}/actions/respond/"]["post"]
    body = respond["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/RespondInput")
    assert {"200", "400", "401", "403", "404", "409"} <= set(respond["responses"])
    assert set(schema["components"]["securitySchemes"]) >= {"tokenAuth"}


# --- who may read it, and what it says -----------------------------------------------------


def _schema(city: Any) -> dict[str, Any]:
    response = client_for(city, "outsider").get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return dict(response.json())


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_the_schema_needs_a_signed_in_caller(city: Any, fmt: str) -> None:
    """Deliberately not public: it maps every endpoint and payload; integrators read it with
    their token (docs/api.md)."""
    response = APIClient().get("/api/schema/", {"format": fmt})
    assert response.status_code == 401
    body = yaml.safe_load(response.content)
    assert body["error"] == "not_authenticated" and body["message"]
    assert "paths" not in body


def test_the_api_answers_json_even_to_a_browser(city: Any) -> None:
    """DRF's browsable HTML pages are off unless DJANGO_DEBUG is on."""
    client = client_for(city, "reviewer")
    for path in ("/api/v1/forms/", "/api/v1/transitions/"):
        response = client.get(path, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/json")
        assert b"<html" not in response.content
    anonymous = APIClient().get("/api/v1/forms/", HTTP_ACCEPT="text/html,*/*;q=0.8")
    assert anonymous.status_code == 401
    assert anonymous["Content-Type"].startswith("application/json")


def test_the_clock_states_include_stopped(city: Any) -> None:
    schemas = _schema(city)["components"]["schemas"]
    state = schemas["Clock"]["properties"]["state"]
    enum = schemas[state["allOf"][0]["$ref"].rsplit("/", 1)[-1]]["enum"]
    assert set(enum) == {s.value for s in State}
    assert "stopped" in enum


def test_required_reasons_may_not_be_blank_in_the_schema(city: Any) -> None:
    schemas = _schema(city)["components"]["schemas"]
    for action, transition in BY_ACTION.items():
        name = "".join(p.capitalize() for p in action.split("_")) + "Input"
        if name not in schemas:  # a step without any payload (submit, issue, sign)
            assert not transition.reason_required, action
            continue
        reason = schemas[name]["properties"].get("reason")
        if transition.reason_required:
            assert "reason" in schemas[name]["required"], action
            assert reason["minLength"] == 1 and reason["pattern"] == r"\S", action
        elif reason is not None:
            assert "pattern" not in reason, action


def test_unit_codes_links_lengths_and_pages_are_stated(city: Any) -> None:
    schema = _schema(city)
    schemas = schema["components"]["schemas"]
    create = schemas["CreateForm"]["properties"]
    for unit in (
        create["lead_unit"],
        create["co_units"]["items"],
        schemas["ReassignInput"]["properties"]["unit"],
    ):
        assert unit["pattern"] == "^[-a-zA-Z0-9_]+$" and unit["maxLength"] == 64
    assert create["co_units"]["maxItems"] == limits.MAX_CO_UNITS
    assert create["sources"]["maxItems"] == limits.MAX_SOURCES
    assert create["title"]["maxLength"] == limits.TITLE
    assert create["summary"]["maxLength"] == limits.TEXT
    assert create["cac_opinion"]["maxLength"] == limits.TEXT
    source = schemas["SourceInput"]["properties"]
    assert source["text"]["maxLength"] == limits.POST_TEXT
    for url in (
        source["url"],
        schemas["RespondInput"]["properties"]["url"],
        schemas["RecordMilestoneInput"]["properties"]["url"],
    ):
        link, empty = url["oneOf"]  # a link, or nothing
        assert link["pattern"] == "^[hH][tT][tT][pP][sS]?://" and link["maxLength"] == 1000
        assert empty["maxLength"] == 0
    params = {p["name"]: p for p in schema["paths"]["/api/v1/forms/"]["get"]["parameters"]}
    assert (params["limit"]["schema"]["minimum"], params["limit"]["schema"]["maximum"]) == (1, 200)
    assert params["offset"]["schema"]["minimum"] == 0
    sibling = schemas["Sibling"]["properties"]
    assert "visible" in sibling
