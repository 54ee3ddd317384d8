from collections.abc import Callable
from typing import Any, ClassVar

from django.contrib.auth.password_validation import password_validators_help_text_html
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import USERNAME_RE, User


def absolute_media_url(request, field) -> str | None:
    if not field:
        return None
    url = field.url
    return request.build_absolute_uri(url) if request is not None else url


# --- output ------------------------------------------------------------------------------


class UserSummarySerializer(serializers.ModelSerializer):
    avatar_url = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ("id", "username", "display_name", "avatar_url")
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_avatar_url(self, user: User) -> str | None:
        return absolute_media_url(self.context.get("request"), user.avatar)


class ProfileSerializer(UserSummarySerializer):
    website = serializers.CharField(read_only=True, help_text="A URL, or empty.")
    created_at = serializers.DateTimeField(source="date_joined", read_only=True)
    is_following = serializers.BooleanField(read_only=True, default=False)
    follows_you = serializers.BooleanField(read_only=True, default=False)
    is_blocking = serializers.BooleanField(read_only=True, default=False)
    blocked_by = serializers.BooleanField(read_only=True, default=False)
    is_muting = serializers.BooleanField(read_only=True, default=False)
    follow_requested = serializers.BooleanField(read_only=True, default=False)
    pinned_tweet = serializers.SerializerMethodField()

    # The pinned tweet is a Tweet as the viewer sees it, which the tweets app reads and
    # renders; that app sits above accounts (docs/architecture.md, layers), so it plugs its
    # renderer in here when Django starts (TweetsConfig.ready) instead of accounts
    # importing it. It takes the profile's user, the viewer (None: anonymous) and the
    # request (absolute URLs) and answers a Tweet's JSON or None.
    pinned_tweet_renderer: ClassVar[Callable[[User, User | None, Any], dict | None]] = staticmethod(
        lambda user, viewer, request: None
    )

    class Meta(UserSummarySerializer.Meta):
        fields = (
            *UserSummarySerializer.Meta.fields,
            "bio",
            "location",
            "website",
            "created_at",
            "followers_count",
            "following_count",
            "tweets_count",
            "is_following",
            "follows_you",
            "is_protected",
            "is_blocking",
            "blocked_by",
            "is_muting",
            "follow_requested",
            "pinned_tweet",
        )
        read_only_fields = fields

    @extend_schema_field(
        {
            "allOf": [{"$ref": "#/components/schemas/Tweet"}],
            "nullable": True,
            "readOnly": True,
            "description": "The tweet the user pinned to their profile, as the viewer sees "
            "it; null when there is none or the viewer may not see it.",
        }
    )
    def get_pinned_tweet(self, user: User) -> dict | None:
        return self.pinned_tweet_renderer(
            user, self.pinned_tweet_viewer(user), self.context.get("request")
        )

    def pinned_tweet_viewer(self, user: User) -> User | None:
        request = self.context.get("request")
        if request is None or not request.user.is_authenticated:
            return None
        return request.user


class MeSerializer(ProfileSerializer):
    facebook_connected = serializers.SerializerMethodField()

    # Whether the user's Facebook account is connected is facebook_connect's to answer, and
    # that app sits above accounts (docs/architecture.md, layers): it plugs its check in here
    # when Django starts (FacebookConnectConfig.ready) instead of accounts importing it.
    facebook_connected_check: ClassVar[Callable[[User], bool]] = staticmethod(lambda user: False)

    class Meta(ProfileSerializer.Meta):
        fields = (*ProfileSerializer.Meta.fields, "email", "email_verified", "facebook_connected")
        read_only_fields = fields

    def pinned_tweet_viewer(self, user: User) -> User:
        # Me is the user's own view, also in the answers of signup and login, which come
        # to an anonymous request: their pinned tweet is theirs to see, protected or not.
        return user

    def get_facebook_connected(self, user: User) -> bool:
        return self.facebook_connected_check(user)


class AuthResultSerializer(serializers.Serializer):
    user = MeSerializer()
    access = serializers.CharField()
    refresh = serializers.CharField()


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


# --- input -------------------------------------------------------------------------------

# Passwords are taken byte for byte, as Django's own forms do (strip=False): trimming would
# silently change what the user chose and refuse a password set elsewhere (admin, forms).
password_field_kwargs = {"max_length": 128, "trim_whitespace": False}

username_field_kwargs = {
    "max_length": 30,
    "regex": USERNAME_RE,
    "error_messages": {"invalid": "Usernames are 1 to 30 letters, digits or underscores."},
}


class SignupInputSerializer(serializers.Serializer):
    username = serializers.RegexField(**username_field_kwargs)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(
        write_only=True, help_text=password_validators_help_text_html(), **password_field_kwargs
    )


class LoginInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=254, help_text="The username or the email.")
    password = serializers.CharField(write_only=True, **password_field_kwargs)


class RefreshInputSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class EmailVerifyInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=512)


class PasswordChangeInputSerializer(serializers.Serializer):
    old_password = serializers.CharField(write_only=True, **password_field_kwargs)
    new_password = serializers.CharField(write_only=True, **password_field_kwargs)


class PasswordResetInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmInputSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(write_only=True, **password_field_kwargs)


class MeUpdateInputSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=50, allow_blank=True, required=False)
    bio = serializers.CharField(max_length=160, allow_blank=True, required=False)
    location = serializers.CharField(max_length=30, allow_blank=True, required=False)
    website = serializers.URLField(max_length=200, allow_blank=True, required=False)
    avatar = serializers.FileField(
        required=False, help_text="JPEG, PNG, GIF or WebP; re-encoded, metadata stripped."
    )
    username = serializers.RegexField(required=False, **username_field_kwargs)
    email = serializers.EmailField(max_length=254, required=False)
    is_protected = serializers.BooleanField(
        required=False,
        help_text="Only accepted followers see your tweets; follows become requests.",
    )
