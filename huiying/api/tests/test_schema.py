"""The OpenAPI 3 schema at /api/schema/: valid, warning-free, and naming every endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

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
    response = APIClient().get("/api/schema/", {"format": "json"})
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
