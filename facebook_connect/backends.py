"""Facebook login as a Django authentication backend, so the JWT endpoint
(POST /auth/facebook/) and the browser flow (the OAuth callback) share one matching:
`authenticate(request, facebook_token=...)`.

Errors (token rejected, email in use, Facebook down) are raised, not swallowed into None:
the caller must tell the client which one it was (API.md). None means "not for me".
"""

from django.contrib.auth.backends import BaseBackend

from accounts.models import User
from facebook_connect.services import login


class FacebookBackend(BaseBackend):
    def authenticate(self, request, facebook_token: str | None = None, **kwargs) -> User | None:
        if not facebook_token:
            return None
        user, created = login.login_with_facebook(access_token=facebook_token)
        if not user.is_active:
            return None
        user.facebook_created = created  # read by the view: 201 for a new user
        return user

    def get_user(self, user_id) -> User | None:
        user = User._default_manager.filter(pk=user_id).first()
        return user if user is not None and user.is_active else None
