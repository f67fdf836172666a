"""What Django answers when no view does: the API in its JSON error shape, pages in Chinese.

A path under /api/ never gets an HTML page: a non-numeric form id (no URL matches), an
oversized body (read before any view runs) and a server error answer
``{"error": code, "message": "<中文说明>"}`` like every other API failure (huiying.api.errors).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views import defaults

from huiying.api.errors import error_body, too_large_message

# The error page is self-contained (static files may be what failed): its one inline style
# block is allowed, scripts are not.
SERVER_ERROR_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _json(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(
        error_body(code, message), status=status, json_dumps_params={"ensure_ascii": False}
    )


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    too_large = isinstance(exception, RequestDataTooBig)
    status = 413 if too_large else 400
    if _is_api(request):
        if too_large:
            return _json(status, "too_large", too_large_message())
        return _json(status, "invalid_input", "请求无效，无法处理。")
    max_mb = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
    context = {"too_large": too_large, "max_mb": max_mb}
    return render(request, "400.html", context, status=status)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _json(403, "not_allowed", "无权访问。")
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return _json(404, "not_found", "请求的资源不存在。可用的接口见 /api/schema/。")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return _json(
            500, "server_error", "服务器内部错误，操作可能没有完成；请稍后查看交办单状态。"
        )
    response = HttpResponse(loader.get_template("500.html").render(), status=500)
    response["Content-Security-Policy"] = SERVER_ERROR_POLICY
    return response
