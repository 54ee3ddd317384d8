"""The `message` event of the stream socket (docs/realtime.md), rendered by the REST
serializer so a client never sees two shapes of one object. Services schedule it after
commit (core.realtime); it is rendered then, not when the service runs."""

from messaging.models import Message
from messaging.serializers import MessageSerializer


def message_event(message: Message) -> dict:
    return {
        "type": "message",
        "conversation_id": message.conversation_id,
        "message": MessageSerializer(message).data,
    }
