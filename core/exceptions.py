"""Application errors. Services and selectors raise these; one handler renders them all.

Every error has a stable, machine-readable `code` (snake_case) declared once, here or on a
domain subclass, and is rendered as {"code", "detail"} by core.exception_handler.
"""

from rest_framework import status
from rest_framework.exceptions import APIException


class ApplicationError(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_request"
    default_detail = "The request could not be processed."

    def __init__(
        self,
        detail: str | None = None,
        code: str | None = None,
        status_code: int | None = None,
    ) -> None:
        if status_code is not None:
            self.status_code = status_code
        super().__init__(detail=detail or self.default_detail, code=code or self.default_code)
        self.code = code or self.default_code


class NotFound(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"
    default_detail = "Not found."


class PermissionDenied(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "permission_denied"
    default_detail = "You do not have permission to perform this action."


class Conflict(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the current state."


class PayloadTooLarge(ApplicationError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"
    default_detail = "The request or one of its files is too large."


class ServiceUnavailable(ApplicationError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "service_unavailable"
    default_detail = "A service this request needs is unavailable. Try again later."


class FieldValidationError(ApplicationError):
    """A validation failure found by a service, attached to input fields like DRF's own."""

    default_code = "validation_error"
    default_detail = "Invalid input."

    def __init__(self, fields: dict[str, list[str]], detail: str | None = None) -> None:
        super().__init__(detail=detail)
        self.fields = fields


class IdempotencyKeyInvalid(ApplicationError):
    default_code = "idempotency_key_invalid"
    default_detail = "Idempotency-Key must be 1 to 255 visible ASCII characters."


class IdempotencyKeyInUse(Conflict):
    default_code = "idempotency_key_in_use"
    default_detail = (
        "A request with this Idempotency-Key is still being processed. Retry once it is done."
    )


class IdempotencyKeyReused(ApplicationError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"
    default_detail = "This Idempotency-Key was used for another request (another path or body)."
