from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import UserSummarySerializer
from messaging.models import (
    CLIENT_ID_MAX_LENGTH,
    GROUP_MAX_PARTICIPANTS,
    MESSAGE_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Conversation,
    Message,
)


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
    title = serializers.SerializerMethodField()
    is_group = serializers.BooleanField(read_only=True)

    class Meta:
        model = Conversation
        fields = ("id", "participants", "last_message", "unread_count", "title", "is_group")
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_title(self, conversation: Conversation) -> str | None:
        """A group's title; null for a one-to-one or a group without one."""
        return conversation.title or None

    def to_representation(self, conversation: Conversation) -> dict:
        data = super().to_representation(conversation)
        last = conversation.last_message
        if last is not None and (last.hidden_at is not None or not last.sender.is_active):
            data["last_message"] = None  # hidden by a moderator, or its sender suspended
        return data

    @extend_schema_field(UserSummarySerializer(many=True))
    def get_participants(self, conversation: Conversation) -> list:
        users = [member.user for member in conversation.members.all()]
        return UserSummarySerializer(users, many=True, context=self.context).data


class UsernameListField(serializers.ListField):
    """Usernames; in a form (the browsable API's has a few inputs) empty ones are skipped."""

    child = serializers.CharField(max_length=30)

    def get_value(self, dictionary):
        value = super().get_value(dictionary)
        if hasattr(dictionary, "getlist") and isinstance(value, list):
            return [name for name in value if name]
        return value


class ConversationCreateInputSerializer(serializers.Serializer):
    """`username` opens the one-to-one conversation; `usernames` (2-49 other users) and an
    optional `title` create a group."""

    username = serializers.CharField(max_length=30, required=False)
    usernames = UsernameListField(
        min_length=2,
        max_length=GROUP_MAX_PARTICIPANTS - 1,
        required=False,
        style={"template": "core/browsable/texts.html"},
    )
    title = serializers.CharField(max_length=TITLE_MAX_LENGTH, required=False, allow_blank=True)

    def validate_usernames(self, value: list[str]) -> list[str]:
        if len({name.lower() for name in value}) != len(value):
            raise serializers.ValidationError("Name each user once.")
        return value

    def validate(self, data: dict) -> dict:
        if "username" not in data and "usernames" not in data:
            raise serializers.ValidationError({"username": ["This field is required."]})
        if "username" in data and "usernames" in data:
            raise serializers.ValidationError(
                {"username": ["Send `username` for a one-to-one, or `usernames` for a group."]}
            )
        if "title" in data and "usernames" not in data:
            raise serializers.ValidationError({"title": ["Only a group has a title."]})
        return data


class ParticipantAddInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=30)


class MessageCreateInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=MESSAGE_MAX_LENGTH)

    def validate_text(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError("Write something: a message cannot be only spaces.")
        return value


class MessageSendFrameSerializer(MessageCreateInputSerializer):
    """The `message.send` frame of the stream socket (docs/realtime.md): the REST body's
    rules for `text`, plus the conversation and the sender's own id for the message."""

    conversation_id = serializers.IntegerField(min_value=1)
    client_id = serializers.CharField(max_length=CLIENT_ID_MAX_LENGTH)


class ConversationFrameSerializer(serializers.Serializer):
    """The `typing` and `read` frames of the stream socket."""

    conversation_id = serializers.IntegerField(min_value=1)
