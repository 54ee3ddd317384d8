"""OpenAPI: every operation documents the error envelope of docs/api.md for the errors it can
answer, so client generators get one ErrorEnvelope type."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import permissions, serializers

from core.idempotency import HEADER, REPLAYED_HEADER, IdempotentPostsMixin

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    pattern=r"^[\x21-\x7e]{1,255}$",
    description="1 to 255 visible ASCII characters; a signed-in client's retries of one "
    "write send the same key. The first answer is kept 24 hours: a repeat with the same "
    f"body replays it (`{REPLAYED_HEADER}: true`) and writes nothing; with another body "
    "it answers 422 `idempotency_key_reused`; while the first still runs, 409 "
    "`idempotency_key_in_use`; a malformed key, 400 `idempotency_key_invalid`. Ignored on "
    "anonymous requests.",
)


class JWTScheme(SimpleJWTScheme):
    """Our subclass of simplejwt's authentication is documented as simplejwt's is."""

    target_class = "core.authentication.JWTAuthentication"


class ErrorEnvelopeSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. validation_error.")
    detail = serializers.CharField(help_text="Human-readable message.")
    fields = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="Per-field lists of messages (nested for list and object fields); only "
        "for validation errors.",
    )


class ChirpAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction)
        if direction != "response":
            return bodies
        # 400 everywhere: bodies, cursors and page sizes are validated, and any URL holding a
        # NUL is refused before routing (core.middleware.NullCharacterMiddleware).
        codes = ["400", "429"]
        method = self.method.upper()
        if method in ("POST", "PUT", "PATCH"):
            codes += ["413", "415"]  # body over the size cap; a content type not parsed
        if not self._is_public():
            codes.append("401")
        if "{" in self.path or method == "POST":
            # Path objects may be missing; POST bodies may name a user that does not exist.
            codes += ["403", "404"] if method != "GET" else ["404"]
        if self._honours_idempotency_key():
            codes += ["409", "422"]
        for code in codes:
            if code not in bodies:
                bodies[code] = self._get_response_for_code(ErrorEnvelopeSerializer, code)
        return bodies

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self._honours_idempotency_key():
            parameters = [*parameters, IDEMPOTENCY_KEY]
        return parameters

    def _honours_idempotency_key(self) -> bool:
        """POSTs a signed-in user can send (not signup or the logins, which authenticate
        nobody)."""
        return (
            self.method.upper() == "POST"
            and isinstance(self.view, IdempotentPostsMixin)
            and bool(self.view.get_authenticators())
        )

    def _is_public(self) -> bool:
        classes = getattr(self.view, "permission_classes", [])
        return any(cls in (permissions.AllowAny,) for cls in classes)


def refuse_unknown_request_fields(result: dict, **kwargs) -> dict:
    """Postprocessing hook: every object a request body is documented with says
    `additionalProperties: false`, since writes refuse unknown fields (core.api)."""
    schemas = result.get("components", {}).get("schemas", {})
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                ref = media.get("schema", {}).get("$ref", "")
                component = schemas.get(ref.rsplit("/", 1)[-1])
                if component is not None and component.get("type") == "object":
                    component["additionalProperties"] = False
    return result
