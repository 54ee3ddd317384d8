"""Access-token authentication, for REST and the stream socket alike: simplejwt's, with the
user id claim checked before it reaches the database."""

from rest_framework_simplejwt.authentication import JWTAuthentication as SimpleJWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings

# Ids are bigints: a larger number was never issued.
MAX_KEY = 2**63 - 1


def user_id_from(claim) -> int | None:
    """The user id a token's claim holds: simplejwt signs it as a decimal string ("42");
    an integer is accepted too. Anything else (1.5, "abc", a list, null) is no id."""
    if type(claim) is int:  # not bool, not float
        user_id = claim
    elif isinstance(claim, str) and claim.isascii() and claim.isdecimal():
        user_id = int(claim)
    else:
        return None
    return user_id if 0 < user_id <= MAX_KEY else None


class JWTAuthentication(SimpleJWTAuthentication):
    """simplejwt looks the user up by whatever a correctly signed token's user id claim
    holds: "abc" or a list raises ValueError or TypeError (a 500), and 1.5 is truncated to
    user 1. Anything but an id is an invalid token (401) here, before any query."""

    def get_user(self, validated_token):
        if user_id_from(validated_token.get(api_settings.USER_ID_CLAIM)) is None:
            raise InvalidToken("Token contained no recognizable user identification.")
        return super().get_user(validated_token)
