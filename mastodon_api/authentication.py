"""Who calls the layer: a django-oauth-toolkit access token (what Mastodon clients hold) or
one of Chirp's own access JWTs; revoking either works as it does elsewhere."""

from django.contrib.auth.models import AnonymousUser
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import exceptions
from rest_framework.authentication import get_authorization_header

from core.authentication import JWTAuthentication


class MastodonOAuth2Authentication(OAuth2Authentication):
    """The toolkit's bearer token check. A client credentials token has no user: the
    request is anonymous with the app's token (Mastodon's app-only calls)."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        if user is None:
            return AnonymousUser(), token
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return user, token


class ChirpJWTAuthentication(JWTAuthentication):
    """Chirp's access JWT (three dot-separated parts); any other bearer token is left to
    the OAuth check, so an OAuth token is not refused as a malformed JWT."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if len(parts) == 2 and parts[1].count(b".") != 2:
            return None
        return super().authenticate(request)
