"""Small helpers every viewset uses."""

from rest_framework import permissions, serializers
from rest_framework.request import Request


def validated(serializer_class, request: Request, **kwargs) -> dict:
    """The request body validated by an input serializer; a ValidationError (400) otherwise."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def viewer_of(request: Request):
    """The signed-in user, or None for an anonymous request."""
    return request.user if request.user.is_authenticated else None


class NoInputSerializer(serializers.Serializer):
    """The body of an action that takes none (a toggle, a mark-as-read): an empty form."""


# Declares, per action, the input serializer that validates a write's body (a comment, not a
# docstring: the schema and the browsable API would show a docstring on every viewset).
# `get_serializer_class()` answers it for unsafe methods, so the browsable API builds the
# action's HTML form (and raw-data example) from what the action accepts, not from the
# output serializer; writes not listed take no body and get an empty form (a button).
# Reads keep `serializer_class`.
class InputSerializersMixin:
    input_serializers: dict = {}

    def get_serializer_class(self):
        request = getattr(self, "request", None)
        if request is None or request.method in permissions.SAFE_METHODS:
            return super().get_serializer_class()
        return self.input_serializers.get(getattr(self, "action", None), NoInputSerializer)
