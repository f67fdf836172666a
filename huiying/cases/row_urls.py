"""The links of list rows: ``reverse()`` once per URL name, not once per row.

A list page of 50 rows links each row to its form and to its buttons' steps: 100 to 150
``reverse()`` calls, 60 µs each on the bench machine (namespace lookup, then checking the
candidate URL against its pattern), a tenth of the page. Every such URL differs from the
others only by the form's id, so the URL is reversed once with a stand-in id and each row's
id is put in its place. Keyed by the script prefix and URL conf in force, as ``reverse`` is.
"""

from __future__ import annotations

from functools import lru_cache

from django.urls import get_script_prefix, get_urlconf, reverse

# An id no form will have for a long while; only ever put in to be taken out again.
_STAND_IN = 987_654_321_987


@lru_cache(maxsize=64)
def _shape(prefix: str, urlconf: object, name: str, rest: tuple[str, ...]) -> tuple[str, str]:
    url = reverse(name, args=[_STAND_IN, *rest])
    # The id comes before the rest (…/forms/<pk>/act/<name>/): its last occurrence is it.
    before, after = url.rsplit(str(_STAND_IN), 1)
    return before, after


def row_url(name: str, pk: int, *rest: str) -> str:
    """``reverse(name, args=[pk, *rest])`` for a URL whose first argument is a form's id."""
    before, after = _shape(get_script_prefix(), get_urlconf(), name, rest)
    return f"{before}{int(pk)}{after}"
