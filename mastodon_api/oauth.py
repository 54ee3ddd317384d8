"""OAuth 2.0 as Mastodon clients use it, with django-oauth-toolkit (docs/mastodon.md).

What differs from the toolkit's defaults:
- an app registered by POST /api/v1/apps may use the authorization code grant (PKCE when
  the client sends a challenge, S256), client credentials, and, only with
  MASTODON_PASSWORD_GRANT on, the password grant: Mastodon's apps have no grant type of
  their own;
- the scopes asked for must be among those the app registered;
- the token endpoint answers Mastodon's Token entity, the revoke endpoint `{}`;
- `urn:ietf:wg:oauth:2.0:oob` shows the code on a page instead of redirecting, and an app's
  own redirect scheme (myapp://) is allowed for that app.
"""

import json
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.http import OAuth2ResponseRedirect
from oauth2_provider.models import get_access_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauth2_provider.views import AuthorizationView, RevokeTokenView, TokenView

OOB = "urn:ietf:wg:oauth:2.0:oob"
GRANTS = {"authorization_code", "client_credentials"}


def registered_scopes(application) -> set[str]:
    registration = getattr(application, "mastodon", None)
    return set(registration.scopes.split()) if registration else set()


class MastodonOAuth2Validator(OAuth2Validator):
    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        allowed = GRANTS | ({"password"} if settings.MASTODON_PASSWORD_GRANT else set())
        return grant_type in allowed

    def validate_response_type(self, client_id, response_type, client, request, *args, **kwargs):
        return response_type == "code"

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        return super().validate_scopes(client_id, scopes, client, request, *args, **kwargs) and set(
            scopes
        ) <= registered_scopes(client)

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        return ["read"]


class AuthorizeView(AuthorizationView):
    """GET /oauth/authorize: the login (Chirp's session login page) and consent page."""

    login_url = reverse_lazy("rest_framework:login")
    template_name = "mastodon_api/authorize.html"

    def redirect(self, redirect_to, application):
        if redirect_to.startswith(OOB):
            query = parse_qs(urlsplit(redirect_to).query)
            return render(
                self.request,
                "mastodon_api/authorized_oob.html",
                {"code": query.get("code", [""])[0], "error": query.get("error", [""])[0]},
            )
        if application is None:
            return super().redirect(redirect_to, application)
        # oauthlib has matched the URI with one the app registered: its scheme is the app's.
        scheme = urlsplit(redirect_to).scheme
        return OAuth2ResponseRedirect(redirect_to, [*application.get_allowed_schemes(), scheme])


def token_entity(access_token: str, scope: str, created) -> dict:
    return {
        "access_token": access_token,
        "token_type": "Bearer",
        "scope": scope,
        "created_at": int(created.timestamp()),
    }


@method_decorator(csrf_exempt, name="dispatch")
class MastodonTokenView(TokenView):
    """POST /oauth/token: the toolkit's token endpoint, answering Mastodon's Token entity
    (access_token, token_type, scope, created_at) for a token it issued; its errors as they are."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        if response.status_code != 200:
            return response
        body = json.loads(response.content)
        token = get_access_token_model().objects.filter(token=body["access_token"]).first()
        created = token.created if token is not None else timezone.now()
        return JsonResponse(token_entity(body["access_token"], body.get("scope", ""), created))


@method_decorator(csrf_exempt, name="dispatch")
class MastodonRevokeView(RevokeTokenView):
    """POST /oauth/revoke: the toolkit's revocation; Mastodon answers `{}`."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:
            return JsonResponse({})
        return response


def oauth_server_metadata(request, root: str) -> dict:
    base = request.build_absolute_uri(root or "/").rstrip("/")
    return {
        "issuer": base + "/",
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "app_registration_endpoint": f"{base}/api/v1/apps",
        "scopes_supported": list(settings.MASTODON_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": sorted(
            GRANTS | ({"password"} if settings.MASTODON_PASSWORD_GRANT else set())
        ),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "service_documentation": f"{request.build_absolute_uri('/api/docs/')}",
    }
