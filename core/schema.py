"""OpenAPI: every operation documents the error envelope of docs/api.md for the errors it can
answer, so client generators get one ErrorEnvelope type."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.openapi import AutoSchema
from rest_framework import permissions, serializers


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
        for code in codes:
            if code not in bodies:
                bodies[code] = self._get_response_for_code(ErrorEnvelopeSerializer, code)
        return bodies

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
