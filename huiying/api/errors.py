"""One error shape for every API failure: ``{"error": code, "message": "<中文说明>"}``.

Domain errors raised by the services keep their Chinese message and get a status that tells
the caller what went wrong:

=====================  ======  ====================================================
error                  status  meaning
=====================  ======  ====================================================
not_authenticated      401     no token and no session
authentication_failed  401     unknown, expired or revoked token, one issued before the
                               owner's last password change, or of an inactive user
not_allowed            403     signed in, but this person may not do this
not_found              404     no such form, or not visible to this person
unknown_action         404     no such action in the transitions table
method_not_allowed     405     wrong HTTP method
illegal_transition     409     the form's state does not allow this step now
invalid_input          400     payload or query failed validation (``fields`` says where)
too_large              413     request body over DATA_UPLOAD_MAX_MEMORY_SIZE
locked_out             429     too many failed logins (django-axes)
server_error           500     a bug; the answer still has this shape
=====================  ======  ====================================================

Signing in (``auth/token/``, huiying/api/auth.py) adds ``otp_required`` (400: the account signs
in with a one-time code too), ``otp_invalid`` (400: a wrong or used code) and
``two_factor_enrolment_required`` (403: the role requires two-factor sign-in and the person has
not enrolled on the web page yet; also for a session of such a person anywhere in the API).

Failures outside any view (no URL matches, a body too large to read, a server error) get the
same shape from config.error_handlers.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from huiying.common.errors import DomainError, IllegalTransition, InvalidInput, NotAllowed

DOMAIN_STATUS: dict[type[DomainError], int] = {
    IllegalTransition: status.HTTP_409_CONFLICT,
    NotAllowed: status.HTTP_403_FORBIDDEN,
    InvalidInput: status.HTTP_400_BAD_REQUEST,
}

# DRF's own codes, renamed where the domain already has a word for the same thing.
DRF_CODES = {
    "permission_denied": NotAllowed.code,
    "invalid": InvalidInput.code,
    "parse_error": InvalidInput.code,
}


class UnknownAction(exceptions.NotFound):
    default_code = "unknown_action"


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": code, "message": message, **extra}


def too_large_message() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
    return f"请求内容过大：不能超过 {limit} MB。"


def _first_message(detail: Any) -> str:
    """The first human-readable message inside a (possibly nested) DRF error detail."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = _first_message(value)
            if inner:
                return inner if key == "non_field_errors" else f"{key}：{inner}"
        return ""
    if isinstance(detail, list):
        return next((m for m in (_first_message(v) for v in detail) if m), "")
    return str(detail)


def _domain_response(exc: DomainError) -> Response:
    code = DOMAIN_STATUS.get(type(exc), status.HTTP_400_BAD_REQUEST)
    return Response(error_body(exc.code, exc.message), status=code)


def _drf_response(exc: exceptions.APIException) -> Response:
    if isinstance(exc, exceptions.ValidationError):
        body = error_body(
            InvalidInput.code,
            _first_message(exc.detail) or "提交的数据无效。",
            fields=exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail},
        )
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        body = error_body(DRF_CODES.get(str(code), str(code)), _first_message(exc.detail))
    response = Response(body, status=exc.status_code)
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        response["WWW-Authenticate"] = auth_header
    wait = getattr(exc, "wait", None)
    if wait is not None:
        response["Retry-After"] = str(int(wait))
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"]: every known failure becomes the one error shape."""
    if isinstance(exc, DomainError):
        set_rollback()
        return _domain_response(exc)
    if isinstance(exc, RequestDataTooBig):  # read by the view (request.data), not before
        return Response(
            error_body("too_large", too_large_message()),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return Response(
            error_body(InvalidInput.code, "提交的字段或文件过多。"),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("请求的资源不存在。")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: let Django log it and answer 500
    set_rollback()
    return _drf_response(exc)
