"""Scopes: an OAuth token must carry the scope an endpoint needs (Mastodon's `read`,
`write`, `follow`, or the granular `read:statuses` style); Chirp's JWTs carry every scope."""

from oauth2_provider.models import AbstractAccessToken
from rest_framework import permissions

from mastodon_api.exceptions import UserRequired


def token_scopes(request) -> set[str] | None:
    """The OAuth token's scopes; None for a caller that is not using one (a JWT)."""
    token = request.auth
    if not isinstance(token, AbstractAccessToken):
        return None
    return set(token.scope.split())


class HasScope(permissions.BasePermission):
    """A view names `scope_area` ("statuses", "accounts", "follows", ...): reads need
    `read` or `read:<area>`, writes `write` or `write:<area>`; areas about relations
    (follows, blocks, mutes) also accept Mastodon's older `follow`. With `user_required`
    (the default) the caller must be signed in as a user: without a token that is 401; an
    app's own token (client credentials, no user) with the scope is 422 UserRequired, as
    Mastodon answers."""

    message = "This action is outside the authorized scopes"
    FOLLOW_AREAS = {"follows", "blocks", "mutes"}

    def has_permission(self, request, view) -> bool:
        user_required = getattr(view, "user_required", True)
        scopes = token_scopes(request)
        if scopes is None:  # a Chirp JWT (every scope), or no token at all (401)
            return request.user.is_authenticated or not user_required
        kind = "read" if request.method in permissions.SAFE_METHODS else "write"
        area = getattr(view, "scope_areas", {}).get(
            getattr(view, "action", None), getattr(view, "scope_area", None)
        )
        accepted = {kind, f"{kind}:{area}"}
        if area in self.FOLLOW_AREAS:
            accepted.add("follow")
        if not scopes & accepted:
            return False
        # As Mastodon checks: the scope first (403), then that the token has a user.
        if user_required and not request.user.is_authenticated:
            raise UserRequired()
        return True
