"""The layer's own errors: what Mastodon answers 422 for."""

from rest_framework import status

from core.exceptions import ApplicationError


class Unprocessable(ApplicationError):
    """What Mastodon answers 422 for: a request it understands and will not do."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"


class UserRequired(Unprocessable):
    """An app's own token (client credentials, no user) calling an endpoint about a user:
    Mastodon answers 422 with this text."""

    default_code = "user_required"
    default_detail = "This method requires an authenticated user"
