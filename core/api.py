"""Small helpers every viewset uses."""

from collections.abc import Mapping

from django.http import QueryDict
from rest_framework import permissions, serializers
from rest_framework.request import Request

from core.idempotency import IdempotentPostsMixin

UNKNOWN_FIELD = "Unknown field."

# Not input: Django's CSRF token, which the browsable API's HTML forms post beside the fields.
FORM_CONTROL_FIELDS = frozenset({"csrfmiddlewaretoken"})


def validated(serializer_class, request: Request, **kwargs) -> dict:
    """The request body validated by an input serializer; a ValidationError (400) otherwise."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def validated_query(serializer_class, request: Request) -> dict:
    """The query string validated by a serializer of its parameters; a ValidationError
    (400) otherwise."""
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def viewer_of(request: Request):
    """The signed-in user, or None for an anonymous request."""
    return request.user if request.user.is_authenticated else None


class NoInputSerializer(serializers.Serializer):
    """The body of an action that takes none (a toggle, a mark-as-read): an empty form."""


def unknown_fields(serializer_class, data) -> list[str]:
    """The names in a request body that `serializer_class` does not accept, sorted.

    Form bodies may spell a list or a nested object the way DRF's HTML parsing reads them
    (`photos[0]`, `address.city`): such a name counts by the part before `[` or `.`.
    """
    if not isinstance(data, Mapping):
        return []  # not an object: the serializer itself answers "Expected a dictionary"
    known = {name for name, field in serializer_class().fields.items() if not field.read_only}
    is_form = isinstance(data, QueryDict)
    unknown = []
    for name in data:
        if name in known or (is_form and name in FORM_CONTROL_FIELDS):
            continue
        if is_form and name.replace(".", "[").split("[", 1)[0] in known:
            continue
        unknown.append(name)
    return sorted(unknown)


# Declares, per action, the input serializer that validates a write's body (a comment, not a
# docstring: the schema and the browsable API would show a docstring on every viewset).
# `get_serializer_class()` answers it for unsafe methods, so the browsable API builds the
# action's HTML form (and raw-data example) from what the action accepts, not from the
# output serializer; writes not listed take no body and get an empty form (a button).
# Reads keep `serializer_class`.
# It is also the one strict-input rule (docs/api.md, "Writes: strict input and idempotency"):
# before any write runs, a body naming a field its input serializer does not declare is
# refused, 400 `validation_error` with `{"<name>": ["Unknown field."]}`, so a client never
# believes a dropped field was taken. Every viewset with a write uses this mixin, and
# through it every POST honours Idempotency-Key (core/idempotency.py), checked first.
class InputSerializersMixin(IdempotentPostsMixin):
    input_serializers: dict = {}

    def get_serializer_class(self):
        request = getattr(self, "request", None)
        if request is None or request.method in permissions.SAFE_METHODS:
            return super().get_serializer_class()
        return self.input_serializers.get(getattr(self, "action", None), NoInputSerializer)

    def initial(self, request: Request, *args, **kwargs) -> None:
        # After authentication, permissions, throttles and the idempotency key: an anonymous
        # or throttled write keeps its 401 or 429.
        super().initial(request, *args, **kwargs)
        if request.method in permissions.SAFE_METHODS or getattr(self, "action", None) is None:
            return  # a read, or a method the path does not have (405)
        unknown = unknown_fields(self.get_serializer_class(), request.data)
        if unknown:
            raise serializers.ValidationError({name: [UNKNOWN_FIELD] for name in unknown})
