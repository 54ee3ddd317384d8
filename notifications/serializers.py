from rest_framework import serializers

from accounts.serializers import UserSummarySerializer
from notifications.models import Notification, Verb


class NotificationTweetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class NotificationCommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class NotificationSerializer(serializers.ModelSerializer):
    actor = UserSummarySerializer(read_only=True)
    tweet = NotificationTweetSerializer(read_only=True, allow_null=True)
    comment = NotificationCommentSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Notification
        fields = ("id", "verb", "actor", "tweet", "comment", "unread", "created_at")
        read_only_fields = fields


class NotificationUpdateInputSerializer(serializers.Serializer):
    unread = serializers.BooleanField()


class UnreadCountSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField()


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


# One boolean per verb, named after it: the settings' shape follows Verb, never restated.
NotificationSettingsSerializer = type(
    "NotificationSettingsSerializer",
    (serializers.Serializer,),
    {verb.value: serializers.BooleanField() for verb in Verb},
)
NotificationSettingsUpdateInputSerializer = type(
    "NotificationSettingsUpdateInputSerializer",
    (serializers.Serializer,),
    {verb.value: serializers.BooleanField(required=False) for verb in Verb},
)
