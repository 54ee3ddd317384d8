from rest_framework import serializers

from accounts.serializers import UserSummarySerializer
from notifications.models import Notification


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
