"""Chat frames on the stream socket (docs/realtime.md, "Client to server"): `message.send`,
`typing` and `read`, answered through the same services, rules and throttles as REST.

Thin, like a view: validate the frame, throttle, check access, call one service, answer.
config/routing.py serves this consumer at /ws/stream/; everything else about the socket
(authentication, groups, events, close codes) is notifications.consumers.StreamConsumer's.
"""

from typing import Any

from channels.db import database_sync_to_async
from rest_framework import serializers

from accounts.models import User
from core.api import UNKNOWN_FIELD, unknown_fields
from core.exception_handler import exception_handler
from core.throttling import throttle_frame
from messaging import selectors, services
from messaging.serializers import (
    ConversationFrameSerializer,
    MessageSendFrameSerializer,
    MessageSerializer,
)
from notifications.consumers import StreamConsumer, absolute_media_urls


def validated_frame(serializer_class, content: dict) -> dict:
    """The frame's fields (all but "type") checked as a REST body is: strict, then valid."""
    data = {key: value for key, value in content.items() if key != "type"}
    unknown = unknown_fields(serializer_class, data)
    if unknown:
        raise serializers.ValidationError({name: [UNKNOWN_FIELD] for name in unknown})
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def error_frame(exc: Exception, **extra: Any) -> dict:
    """The REST error envelope of `exc` as an `error` frame."""
    response = exception_handler(exc, {})
    if response is None:
        raise exc
    return {"type": "error", **response.data, **extra}


@database_sync_to_async
def send_message_frame(user: User, content: dict) -> dict:
    """`message.send`: the ack with the stored message (the first one for a repeated
    client_id, whatever else the repeat says), or an error frame."""
    client_id = content.get("client_id")
    echo = {"client_id": client_id if isinstance(client_id, str) else None}
    try:
        data = validated_frame(MessageSendFrameSerializer, content)
        message = selectors.get_message_by_client_id(sender=user, client_id=data["client_id"])
        if message is None:
            throttle_frame(user=user, scope="post")
            conversation = selectors.access_conversation(
                user=user, conversation_id=data["conversation_id"]
            )
            message, _ = services.send_message(
                sender=user,
                conversation=conversation,
                text=data["text"],
                client_id=data["client_id"],
            )
    except Exception as exc:
        return error_frame(exc, **echo)
    return {
        "type": "message.ack",
        "client_id": message.client_id,
        "message": MessageSerializer(message).data,
    }


@database_sync_to_async
def typing_frame(user: User, content: dict) -> dict | None:
    """`typing`: relayed now to the other participants; an error frame, or nothing."""
    try:
        data = validated_frame(ConversationFrameSerializer, content)
        throttle_frame(user=user, scope="typing")
        services.relay_typing(user=user, conversation_id=data["conversation_id"])
    except Exception as exc:
        return error_frame(exc)
    return None


@database_sync_to_async
def read_frame(user: User, content: dict) -> dict | None:
    """`read`: as POST /conversations/{id}/read/; an error frame, or nothing."""
    try:
        data = validated_frame(ConversationFrameSerializer, content)
        conversation = selectors.access_conversation(
            user=user, conversation_id=data["conversation_id"]
        )
        services.mark_conversation_read(user=user, conversation=conversation)
    except Exception as exc:
        return error_frame(exc)
    return None


class ChatStreamConsumer(StreamConsumer):
    frames = {
        **StreamConsumer.frames,
        "message.send": "on_message_send",
        "typing": "on_typing",
        "read": "on_read",
    }

    async def reply(self, frame: dict | None) -> None:
        if frame is not None:
            await self.send_json(absolute_media_urls(frame, self.base_url()))

    async def on_message_send(self, content: dict) -> None:
        await self.reply(await send_message_frame(self.user, content))

    async def on_typing(self, content: dict) -> None:
        await self.reply(await typing_frame(self.user, content))

    async def on_read(self, content: dict) -> None:
        await self.reply(await read_frame(self.user, content))
