from rest_framework import status

from core.exceptions import ApplicationError


class AuthenticationFailed(ApplicationError):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "authentication_failed"
    default_detail = "Incorrect username or password."


class AccountSuspended(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "account_suspended"
    default_detail = "This account is suspended."


class TokenInvalid(ApplicationError):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "authentication_failed"
    default_detail = "Token is invalid, expired or revoked."
