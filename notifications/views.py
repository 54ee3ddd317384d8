from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import InputSerializersMixin, validated, validated_query
from notifications import selectors, services
from notifications.serializers import (
    MarkedSerializer,
    NotificationListInputSerializer,
    NotificationSerializer,
    NotificationSettingsSerializer,
    NotificationSettingsUpdateInputSerializer,
    NotificationUpdateInputSerializer,
    UnreadCountSerializer,
)


class NotificationViewSet(InputSerializersMixin, viewsets.GenericViewSet):
    """The caller's notifications: list, unread count, mark one or all read."""

    serializer_class = NotificationSerializer
    input_serializers = {"partial_update": NotificationUpdateInputSerializer}
    permission_classes = [permissions.IsAuthenticated]
    lookup_value_regex = r"\d+"

    @extend_schema(
        parameters=[
            OpenApiParameter("unread", bool, description="Only unread notifications."),
            NotificationListInputSerializer,
        ]
    )
    def list(self, request):
        query = validated_query(NotificationListInputSerializer, request)
        unread_only = request.query_params.get("unread", "").lower() in ("true", "1", "yes")
        queryset = selectors.list_notifications(
            recipient=request.user, unread_only=unread_only, verbs=query["verb"]
        )
        page = self.paginate_queryset(queryset)
        data = NotificationSerializer(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    @extend_schema(
        request=NotificationUpdateInputSerializer, responses={200: NotificationSerializer}
    )
    def partial_update(self, request, pk: int):
        data = validated(NotificationUpdateInputSerializer, request)
        notification = selectors.access_notification(recipient=request.user, notification_id=pk)
        notification = services.set_unread(notification=notification, unread=data["unread"])
        return Response(
            NotificationSerializer(notification, context=self.get_serializer_context()).data
        )

    @extend_schema(responses={200: UnreadCountSerializer})
    @action(detail=False, methods=["get"], url_path="unread-count", url_name="unread-count")
    def unread_count(self, request):
        return Response({"unread_count": selectors.unread_count(recipient=request.user)})

    @extend_schema(request=None, responses={200: MarkedSerializer})
    @action(detail=False, methods=["post"], url_path="mark-all-read", url_name="mark-all-read")
    def mark_all_read(self, request):
        return Response({"marked": services.mark_all_read(recipient=request.user)})


class NotificationSettingsViewSet(InputSerializersMixin, viewsets.GenericViewSet):
    """GET, PATCH /me/notification-settings/: which verbs create notifications for the
    caller (all true by default); applied when notifications are created."""

    singleton = True  # core.routers: /me/notification-settings/
    serializer_class = NotificationSettingsSerializer
    input_serializers = {"partial_update": NotificationSettingsUpdateInputSerializer}
    permission_classes = [permissions.IsAuthenticated]

    def retrieve(self, request):
        return Response(selectors.get_notification_settings(user=request.user))

    @extend_schema(
        request=NotificationSettingsUpdateInputSerializer,
        responses={200: NotificationSettingsSerializer},
    )
    def partial_update(self, request):
        data = validated(NotificationSettingsUpdateInputSerializer, request)
        return Response(services.update_notification_settings(user=request.user, changes=data))
