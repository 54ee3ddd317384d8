from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import InputSerializersMixin, validated
from messaging import selectors, services
from messaging.serializers import (
    ConversationCreateInputSerializer,
    ConversationSerializer,
    MessageCreateInputSerializer,
    MessageSerializer,
    ParticipantAddInputSerializer,
)


class ConversationViewSet(InputSerializersMixin, viewsets.GenericViewSet):
    """One-to-one and group conversations, their messages and participants. Only
    participants see them (404)."""

    serializer_class = ConversationSerializer
    input_serializers = {
        "create": ConversationCreateInputSerializer,
        "messages": MessageCreateInputSerializer,
        "participants": ParticipantAddInputSerializer,
    }
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "post"
    throttle_writes_only = True
    lookup_value_regex = r"\d+"

    def list(self, request):
        page = self.paginate_queryset(selectors.list_conversations(user=request.user))
        data = ConversationSerializer(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    @extend_schema(
        request=ConversationCreateInputSerializer,
        responses={200: ConversationSerializer, 201: ConversationSerializer},
    )
    def create(self, request):
        data = validated(ConversationCreateInputSerializer, request)
        if "usernames" in data:
            conversation = services.create_group(
                creator=request.user, usernames=data["usernames"], title=data.get("title", "")
            )
            created = True
        else:
            conversation, created = services.get_or_create_conversation(
                user=request.user, username=data["username"]
            )
        return self.conversation_response(
            request, conversation.pk, status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    def conversation_response(self, request, conversation_id: int, status_code: int) -> Response:
        conversation = selectors.access_conversation(
            user=request.user, conversation_id=conversation_id
        )
        return Response(
            ConversationSerializer(conversation, context=self.get_serializer_context()).data,
            status=status_code,
        )

    @extend_schema(methods=["GET"], responses={200: MessageSerializer(many=True)})
    @extend_schema(
        methods=["POST"], request=MessageCreateInputSerializer, responses={201: MessageSerializer}
    )
    @action(detail=True, methods=["get", "post"])
    def messages(self, request, pk: int):
        conversation = selectors.access_conversation(user=request.user, conversation_id=pk)
        context = self.get_serializer_context()
        if request.method == "POST":
            data = validated(MessageCreateInputSerializer, request)
            message, _ = services.send_message(
                sender=request.user, conversation=conversation, text=data["text"]
            )
            return Response(
                MessageSerializer(message, context=context).data, status=status.HTTP_201_CREATED
            )
        page = self.paginate_queryset(selectors.list_messages(conversation=conversation))
        return self.get_paginated_response(MessageSerializer(page, many=True, context=context).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def read(self, request, pk: int):
        conversation = selectors.access_conversation(user=request.user, conversation_id=pk)
        services.mark_conversation_read(user=request.user, conversation=conversation)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=ParticipantAddInputSerializer, responses={200: ConversationSerializer})
    @action(detail=True, methods=["post"])
    def participants(self, request, pk: int):
        """Add a user to a group you take part in (a repeat changes nothing)."""
        conversation = selectors.access_conversation(user=request.user, conversation_id=pk)
        data = validated(ParticipantAddInputSerializer, request)
        services.add_participant(
            actor=request.user, conversation=conversation, username=data["username"]
        )
        return self.conversation_response(request, conversation.pk, status.HTTP_200_OK)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path="participants/me")
    def leave(self, request, pk: int):
        """Leave a group: it is gone from your list, and answers 404 to you from then on."""
        conversation = selectors.access_conversation(user=request.user, conversation_id=pk)
        services.leave_conversation(user=request.user, conversation=conversation)
        return Response(status=status.HTTP_204_NO_CONTENT)
