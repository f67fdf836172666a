"""The list rows' links are exactly what reverse() gives, under any script prefix."""

from __future__ import annotations

import pytest
from django.urls import get_script_prefix, reverse, set_script_prefix

from huiying.cases.row_urls import row_url

CASES = [
    ("cases:detail", 1, ()),
    ("cases:detail", 987_654_321, ()),
    ("cases:action", 42, ("sign",)),
    ("cases:action", 7, ("decide_extension",)),
    ("cases:document_pdf", 3, ()),
]


@pytest.mark.parametrize(("name", "pk", "rest"), CASES)
def test_a_row_link_is_the_reversed_url(name: str, pk: int, rest: tuple[str, ...]) -> None:
    assert row_url(name, pk, *rest) == reverse(name, args=[pk, *rest])


def test_a_row_link_follows_the_script_prefix() -> None:
    before = get_script_prefix()
    try:
        set_script_prefix("/huiying/")
        assert row_url("cases:detail", 5) == reverse("cases:detail", args=[5])
        assert row_url("cases:detail", 5).startswith("/huiying/")
    finally:
        set_script_prefix(before)
    assert row_url("cases:detail", 5) == reverse("cases:detail", args=[5])
