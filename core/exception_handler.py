"""One envelope for every error: {"code": str, "detail": str, "fields"?: {...}}.

DRF, Django (Http404, PermissionDenied, SuspiciousOperation, RequestDataTooBig), simplejwt
and our ApplicationErrors all pass through here. The current transaction is rolled back.
"""

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from core.exceptions import ApplicationError, FieldValidationError, PayloadTooLarge

logger = logging.getLogger(__name__)

# DRF's own default codes, renamed where docs/api.md names them differently.
CODE_ALIASES = {
    "invalid": "validation_error",
    "token_not_valid": "authentication_failed",
    "no_active_account": "authentication_failed",
    "user_not_found": "authentication_failed",
    "user_inactive": "authentication_failed",
    "password_changed": "authentication_failed",
    "bad_authorization_header": "authentication_failed",
}


# The envelope for errors Django answers before or outside DRF, by status code.
STATUS_ERRORS = {
    400: ("bad_request", "Bad request."),
    403: ("permission_denied", "You do not have permission to perform this action."),
    404: ("not_found", "Not found."),
    405: ("method_not_allowed", "Method not allowed."),
    413: ("payload_too_large", "The request body is too large."),
    500: ("server_error", "Something went wrong on our side. Try again later."),
}


def json_error(status_code: int, detail: str | None = None) -> JsonResponse:
    code, default_detail = STATUS_ERRORS[status_code]
    return JsonResponse(error_body(code, detail or default_detail), status=status_code)


def error_body(code: str, detail: str, fields: dict | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "detail": detail}
    if fields is not None:
        body["fields"] = fields
    return body


def _normalise(exc: Exception) -> Exception:
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge("The request body is too large.")
    if isinstance(exc, SuspiciousOperation):
        return exceptions.ParseError("The request was malformed.")
    if isinstance(exc, TokenError):
        return InvalidToken(str(exc))
    return exc


def _fields(detail: Any) -> dict:
    if isinstance(detail, dict):
        return detail
    if isinstance(detail, list):
        return {"non_field_errors": detail}
    return {"non_field_errors": [detail]}


def _first_message(fields: dict) -> str:
    for value in fields.values():
        if isinstance(value, list) and value and isinstance(value[0], str):
            return str(value[0])
    return "Invalid input."


def exception_handler(exc: Exception, context: dict) -> Response | None:
    exc = _normalise(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        # Not an API error: let Django's handler500 answer (JSON, no traceback).
        return None

    if isinstance(exc, FieldValidationError):
        response.data = error_body(exc.code, str(exc.detail), exc.fields)
    elif isinstance(exc, exceptions.ValidationError):
        fields = _fields(exc.detail)
        detail = "Invalid input."
        if list(fields) == ["non_field_errors"]:
            detail = _first_message(fields)
        response.data = error_body("validation_error", detail, fields)
    elif isinstance(exc, ApplicationError):
        response.data = error_body(exc.code, str(exc.detail))
    elif isinstance(exc, InvalidToken):
        response.data = error_body("authentication_failed", "Token is invalid or expired.")
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.default_detail)
        response.data = error_body(CODE_ALIASES.get(code, code), str(detail))

    set_rollback()
    return response
