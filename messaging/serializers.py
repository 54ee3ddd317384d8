from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import UserSummarySerializer
from messaging.models import MESSAGE_MAX_LENGTH, Conversation, Message


class MessageSerializer(serializers.ModelSerializer):
    sender = UserSummarySerializer(read_only=True)

    class Meta:
        model = Message
        fields = ("id", "sender", "text", "created_at")
        read_only_fields = fields


class ConversationSerializer(serializers.ModelSerializer):
    """Expects messaging.selectors.list_conversations (participants prefetched, unread
    annotated): no queries here."""

    participants = serializers.SerializerMethodField()
    last_message = MessageSerializer(read_only=True, allow_null=True)
    unread_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Conversation
        fields = ("id", "participants", "last_message", "unread_count")
        read_only_fields = fields

    @extend_schema_field(UserSummarySerializer(many=True))
    def get_participants(self, conversation: Conversation) -> list:
        users = [member.user for member in conversation.members.all()]
        return UserSummarySerializer(users, many=True, context=self.context).data


class ConversationCreateInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=30)


class MessageCreateInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=MESSAGE_MAX_LENGTH)

    def validate_text(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("Write something: a message cannot be only spaces.")
        return value
