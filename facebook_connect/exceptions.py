"""Errors of the Facebook integration, each with its stable code (docs/api.md, "Facebook").

The Graph client raises the typed Graph errors below; services raise them unchanged or
turn them into the domain errors. All are ApplicationErrors, so the one exception handler
renders them. Each Graph error says whether trying again later can succeed (`retryable`),
which its HTTP status cannot: Facebook being down and Facebook answering something we
cannot use are both a 503 to our client, but only the first is worth retrying. Tasks and
the share outbox decide on `retryable` alone.
"""

from rest_framework import status

from core.exceptions import ApplicationError, Conflict, ServiceUnavailable

# --- Graph API errors (raised by facebook_connect.graph) ---------------------------------


class FacebookError(ServiceUnavailable):
    """Any Graph failure we have no better name for: an error payload with an unknown code,
    or an answer that is not what the Graph API documents. Not worth retrying."""

    default_code = "facebook_unavailable"
    default_detail = "Facebook could not complete the request. Try again later."
    # Whether trying again later can succeed: what tasks and the share outbox read, never
    # the status code.
    retryable = False

    def __init__(self, detail: str | None = None, *, graph_code: int | None = None) -> None:
        super().__init__(detail)
        self.graph_code = graph_code


class FacebookUnavailable(FacebookError):
    """Facebook is down, slow or failing (5xx, timeouts, connection errors)."""

    default_detail = "Facebook is unavailable. Try again later."
    retryable = True


class FacebookRateLimited(FacebookUnavailable):
    """Facebook throttles the app or the user (codes 4, 17, 32, 613, HTTP 429): retryable
    later, with backoff (the Graph client does not retry it within the call)."""

    default_detail = "Facebook is limiting our requests. Try again later."


class FacebookTokenInvalid(FacebookError):
    """The token is invalid, expired, revoked, or belongs to another app (code 190)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "facebook_token_invalid"
    default_detail = "Facebook rejected this access token."


class FacebookPermissionMissing(FacebookError):
    """The user did not grant a permission this call needs (codes 10, 200-299)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "facebook_permission_missing"
    default_detail = "The Facebook account did not grant a permission this needs."


# --- domain errors -----------------------------------------------------------------------


class FacebookNotConfigured(ServiceUnavailable):
    default_code = "facebook_unavailable"
    default_detail = "Facebook login is not configured on this server."


class EmailInUse(Conflict):
    default_code = "email_in_use"
    default_detail = (
        "An account with this Facebook account's email exists. Log in with its password "
        "and connect Facebook from your settings."
    )


class FacebookAccountLinked(Conflict):
    default_code = "facebook_account_linked"
    default_detail = "This Facebook account is connected to another user."


class FacebookAlreadyConnected(Conflict):
    default_code = "facebook_already_connected"
    default_detail = "Another Facebook account is connected. Disconnect it first."


class FacebookNotConnected(ApplicationError):
    default_code = "facebook_not_connected"
    default_detail = "Connect a Facebook account first."


class PasswordRequired(ApplicationError):
    default_code = "password_required"
    default_detail = "Set a password before disconnecting Facebook: it is your only way to log in."


class InvalidState(ApplicationError):
    default_code = "invalid_state"
    default_detail = "The login attempt is invalid or has expired. Start again."


class FacebookLoginCancelled(ApplicationError):
    default_code = "facebook_login_cancelled"
    default_detail = "The Facebook login was cancelled."


class InvalidSignedRequest(ApplicationError):
    default_code = "invalid_signed_request"
    default_detail = "The signed request is invalid or too old."


class AvatarRefused(Exception):
    """The avatar URL or its answer failed the fence (scheme, host, address, size)."""
