"""What every view of the layer shares: who may call (mastodon_api.authentication,
.permissions), Mastodon's error shape, the parsers Mastodon clients send with."""

from django.conf import settings
from rest_framework import viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer

from core.api import NoInputSerializer
from core.exception_handler import exception_handler
from core.idempotency import IdempotentPostsMixin
from core.parsers import JSONParser
from mastodon_api.authentication import ChirpJWTAuthentication, MastodonOAuth2Authentication
from mastodon_api.entities import Links
from mastodon_api.permissions import HasScope


def mastodon_exception_handler(exc, context):
    """Chirp's one error handler (status, rollback, Retry-After), its envelope reshaped into
    Mastodon's Error entity: `{"error": "..."}` (Chirp's `code` kept beside it)."""
    response = exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "code" in response.data:
        body = {"error": response.data.get("detail", ""), "code": response.data["code"]}
        if "fields" in response.data:
            body["error"] = "Validation failed: " + "; ".join(
                f"{name}: {' '.join(map(str, messages))}"
                for name, messages in response.data["fields"].items()
            )
        response.data = body
    return response


def instance_root(request) -> str:
    """The layer's root for this request: MASTODON_PREFIX, or "" on MASTODON_HOST."""
    prefix = settings.MASTODON_PREFIX
    return prefix if request.path.startswith(prefix + "/") else ""


class MastodonViewSet(IdempotentPostsMixin, viewsets.GenericViewSet):
    """Mastodon clients send unknown fields freely (Mastodon ignores them), so unlike
    Chirp's own writes these do not refuse them; Idempotency-Key works on every POST.

    Left out of Chirp's OpenAPI schema (`schema = None`): the layer's contract is
    Mastodon's documented API, and docs/mastodon.md lists what is served; Chirp's schema
    describes Chirp's API, every write of which refuses unknown fields."""

    schema = None
    serializer_class = NoInputSerializer
    authentication_classes = [ChirpJWTAuthentication, MastodonOAuth2Authentication]
    permission_classes = [HasScope]
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    renderer_classes = [JSONRenderer]
    pagination_class = None
    throttle_writes_only = True

    def get_exception_handler(self):
        return mastodon_exception_handler

    @property
    def links(self) -> Links:
        return Links(self.request, instance_root(self.request))
