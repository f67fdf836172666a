"""The vendor push endpoint: ``POST /monitoring/push/<source_code>/`` with a signed JSON batch.

Plain Django (no session, no CSRF: the vendor is a machine that authenticates by the HMAC
signature of the body). Answers are JSON with a Chinese ``error`` or the counts. The body
is read up to the source's limit plus one byte, so an oversized batch is refused (413)
without being read whole.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from huiying.monitoring.collectors.vendor import SIGNATURE_HEADER, TIMESTAMP_HEADER, PushError
from huiying.monitoring.models import Source
from huiying.monitoring.services_intake import push_limits, receive_push

log = logging.getLogger("huiying.monitoring.push")


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse(
        {"ok": False, "error": message}, status=status, json_dumps_params={"ensure_ascii": False}
    )


def _read_body(request: HttpRequest, limit: int) -> bytes:
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > limit:
        raise PushError(413, f"请求体超过 {limit // 1024} KB，请分批推送")
    body = request.read(limit + 1)  # the stream, not request.body: never more than the limit
    if len(body) > limit:
        raise PushError(413, f"请求体超过 {limit // 1024} KB，请分批推送")
    return body


@csrf_exempt
@require_POST
def push(request: HttpRequest, source_code: str) -> JsonResponse:
    source = Source.objects.filter(code=source_code, kind=Source.Kind.VENDOR_PUSH).first()
    if source is None or not source.is_active:
        return _error(404, "没有这个推送源，或已停用")
    try:
        max_bytes, _max_items = push_limits(source)
        body = _read_body(request, max_bytes)
        stored = receive_push(
            source=source,
            body=body,
            signature=request.headers.get(SIGNATURE_HEADER, ""),
            timestamp=request.headers.get(TIMESTAMP_HEADER, "").strip(),
        )
    except PushError as exc:
        log.warning("push to %s refused (%d): %s", source_code, exc.status, exc)
        return _error(exc.status, str(exc))
    return JsonResponse(
        {
            "ok": True,
            "received": stored.new
            + stored.duplicates
            + stored.updated
            + stored.unchanged
            + stored.skipped,
            "new": stored.new,
            "duplicates": stored.duplicates,
            "updated": stored.updated,
            "unchanged": stored.unchanged,
            "skipped": stored.skipped,
            "item_ids": stored.item_ids,
        },
        json_dumps_params={"ensure_ascii": False},
    )
