"""Small helpers every viewset uses."""

from rest_framework.request import Request


def validated(serializer_class, request: Request, **kwargs) -> dict:
    """The request body validated by an input serializer; a ValidationError (400) otherwise."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def viewer_of(request: Request):
    """The signed-in user, or None for an anonymous request."""
    return request.user if request.user.is_authenticated else None
