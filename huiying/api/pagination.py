"""Pages of lists: ``limit`` (1–200, default 50) and ``offset`` (0 or more), both checked.

DRF's own limit/offset pagination ignores a value it cannot read and passes any number on to
the database: ``limit=999999999999999999999`` overflowed PostgreSQL's bigint (a server error).
Here a value that is not a whole number in range answers 400 in the API's error shape, and the
schema states the range.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Beyond any list this system holds, and far inside a 64-bit integer once a limit is added.
MAX_OFFSET = 10**12


class Pagination(LimitOffsetPagination):
    default_limit = DEFAULT_LIMIT
    max_limit = MAX_LIMIT

    def get_limit(self, request: Request) -> int:
        return _bounded(request, self.limit_query_param, self.default_limit, 1, self.max_limit)

    def get_offset(self, request: Request) -> int:
        return _bounded(request, self.offset_query_param, 0, 0, MAX_OFFSET)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        bounds = {
            self.limit_query_param: (
                1,
                self.max_limit,
                f"每页条数，1–{self.max_limit}，默认 {self.default_limit}",
            ),
            self.offset_query_param: (0, MAX_OFFSET, "从第几条开始（0 起），默认 0"),
        }
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            low, high, text = bounds[parameter["name"]]
            parameter["schema"] |= {"minimum": low, "maximum": high}
            parameter["description"] = text
        return parameters


def _bounded(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    text = raw.strip()
    # The length first: int() of thousands of digits is refused (and slow) by Python itself.
    if not (text.isascii() and text.isdigit() and len(text) <= 15 and low <= int(text) <= high):
        raise serializers.ValidationError({name: [f"{name} 应为 {low} 到 {high} 之间的整数。"]})
    return int(text)
