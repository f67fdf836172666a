"""The optional ``responses`` input: the first comments/reposts of a post feed the rumour model."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from huiying.analysis.nlp import data, models
from huiying.analysis.pipeline import KEYS, MAX_RESPONSES_IN, analyze_records

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "rumor_responses.jsonl"

pytestmark = pytest.mark.django_db


def fixture_rows() -> list[dict[str, Any]]:
    return list(data.read_jsonl(FIXTURE))  # type: ignore[arg-type]


def without_responses(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rec.items() if k != "responses"}


def test_the_shipped_file_has_the_responses_model() -> None:
    assert models.default_models().rumor_responses is not None


@pytest.mark.parametrize(
    ("responses", "why"),
    [
        ("假的", "a string, not a list"),
        (["假的", 3], "a number in the list"),
        ([None], "null in the list"),
        ([["假的"]], "a nested list"),
        ({"0": "假的"}, "an object"),
        (["假"] * (MAX_RESPONSES_IN + 1), "too many"),
        (["假" * 10_001], "one too long"),
    ],
)
def test_malformed_responses_are_a_per_line_error(responses: Any, why: str) -> None:
    res = analyze_records(
        [
            {"id": "bad", "content": "通州区停水", "responses": responses},
            {"id": "ok", "content": "停水"},
        ]
    )
    assert res[0]["id"] == "bad"
    assert "responses" in res[0]["error"], why
    assert tuple(res[1]) == KEYS  # the batch goes on


@pytest.mark.parametrize("responses", [None, [], ["", "  "]])
def test_absent_empty_or_blank_responses_give_the_text_only_answer(responses: Any) -> None:
    rows = fixture_rows()
    plain = analyze_records([without_responses(r) for r in rows])
    given = analyze_records([{**without_responses(r), "responses": responses} for r in rows])
    assert given == plain


def test_responses_move_the_rumour_risk_and_keep_the_keys() -> None:
    rows = fixture_rows()
    plain = {o["id"]: o for o in analyze_records([without_responses(r) for r in rows])}
    given = {o["id"]: o for o in analyze_records(rows)}
    for r in rows:
        out = given[r["id"]]
        assert tuple(out) == KEYS
        # Only the rumour risk (and what follows from it) may change.
        assert out["topic"] == plain[r["id"]]["topic"]
        assert out["sentiment"] == plain[r["id"]]["sentiment"]
        if r["rumor"]:
            # The crowd's 辟谣 / 假的 / 求证 raise the risk above the text-only figure and 0.5.
            assert out["rumor_risk"] > plain[r["id"]]["rumor_risk"]
            assert out["rumor_risk"] > 0.5
        else:
            assert out["rumor_risk"] < 0.5


def test_a_batch_mixing_items_with_and_without_responses() -> None:
    rows = fixture_rows()
    mixed = [r if i % 2 else without_responses(r) for i, r in enumerate(rows)]
    res = analyze_records(mixed)
    alone = [analyze_records([m])[0] for m in mixed]
    assert [o["rumor_risk"] for o in res] == [o["rumor_risk"] for o in alone]


def test_only_the_first_twenty_responses_count() -> None:
    rec = fixture_rows()[0]
    first = [f"第{i}条评论：转发" for i in range(20)]
    a = analyze_records([{**rec, "responses": first}])[0]
    b = analyze_records([{**rec, "responses": [*first, "辟谣：假的", "谣言"]}])[0]
    assert a["rumor_risk"] == b["rumor_risk"]


def test_a_model_file_without_the_responses_model_falls_back_to_text_only() -> None:
    old = dataclasses.replace(models.default_models(), rumor_responses=None)
    rows = fixture_rows()
    assert analyze_records(rows, models=old) == analyze_records(
        [without_responses(r) for r in rows], models=old
    )
