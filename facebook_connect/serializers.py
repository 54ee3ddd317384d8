from rest_framework import serializers

from accounts.serializers import MeSerializer, UserSummarySerializer
from facebook_connect.models import FacebookShare

# Facebook user tokens are a few hundred characters; anything far longer is not one.
TOKEN_MAX = 4096

# --- input -------------------------------------------------------------------------------


class FacebookTokenInputSerializer(serializers.Serializer):
    access_token = serializers.CharField(
        max_length=TOKEN_MAX, help_text="A Facebook user access token (mobile or JS SDK)."
    )


class FacebookShareInputSerializer(serializers.Serializer):
    page_id = serializers.RegexField(
        r"^[0-9]{1,64}$",
        help_text="The id of a Facebook Page the user manages.",
        error_messages={"invalid": "A Facebook Page id is made of digits."},
    )


class FacebookSignedRequestInputSerializer(serializers.Serializer):
    signed_request = serializers.CharField(max_length=8192)


# --- output ------------------------------------------------------------------------------


class FacebookAuthResultSerializer(serializers.Serializer):
    user = MeSerializer()
    access = serializers.CharField()
    refresh = serializers.CharField()
    created = serializers.BooleanField(help_text="True when this login registered the user.")


class FacebookConnectionSerializer(serializers.Serializer):
    connected = serializers.BooleanField()
    facebook_id = serializers.CharField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    token_expires_at = serializers.DateTimeField(allow_null=True)
    last_synced_at = serializers.DateTimeField(allow_null=True)
    friends_count = serializers.IntegerField()
    likes_count = serializers.IntegerField()


class FacebookFriendSerializer(UserSummarySerializer):
    is_following = serializers.BooleanField(read_only=True, default=False)

    class Meta(UserSummarySerializer.Meta):
        fields = (*UserSummarySerializer.Meta.fields, "is_following")
        read_only_fields = fields


class FacebookShareSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True, help_text="pending, done or failed.")

    class Meta:
        model = FacebookShare
        fields = (
            "id",
            "status",
            "tweet_id",
            "page_id",
            "facebook_post_id",
            "attempts",
            "error",
            "created_at",
            "completed_at",
        )
        read_only_fields = fields


class FacebookDataDeletionSerializer(serializers.Serializer):
    url = serializers.URLField()
    confirmation_code = serializers.CharField()


class FacebookDataDeletionStatusSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="pending or done.")


class FacebookOkSerializer(serializers.Serializer):
    status = serializers.CharField()
