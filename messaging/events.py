"""The chat events of the stream socket (docs/realtime.md), rendered by the REST
serializers so a client never sees two shapes of one object. Services schedule them after
commit (core.realtime); they are rendered then, not when the service runs."""

from datetime import datetime

from rest_framework.fields import DateTimeField

from accounts.models import User
from accounts.serializers import UserSummarySerializer
from messaging.models import Message
from messaging.serializers import MessageSerializer


def message_event(message: Message) -> dict:
    return {
        "type": "message",
        "conversation_id": message.conversation_id,
        "message": MessageSerializer(message).data,
    }


def typing_event(*, conversation_id: int, user: User) -> dict:
    return {
        "type": "typing",
        "conversation_id": conversation_id,
        "user": UserSummarySerializer(user).data,
    }


def read_event(
    *, conversation_id: int, user: User, at: datetime, last_read_message_id: int
) -> dict:
    return {
        "type": "read",
        "conversation_id": conversation_id,
        "user": UserSummarySerializer(user).data,
        "at": DateTimeField().to_representation(at),
        "last_read_message_id": last_read_message_id,
    }
