from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.response import Response

from core.api import InputSerializersMixin, validated
from moderation import selectors, services
from moderation.serializers import ReportCreateInputSerializer, ReportSerializer


class ReportViewSet(InputSerializersMixin, viewsets.GenericViewSet):
    """POST /reports/ reports a tweet, comment, user or message; GET /reports/ lists the
    caller's own reports with their status. Moderators act in /admin/ (docs/safety.md)."""

    serializer_class = ReportSerializer
    input_serializers = {"create": ReportCreateInputSerializer}
    permission_classes = [permissions.IsAuthenticated]
    throttle_scope = "report"
    throttle_writes_only = True

    def list(self, request):
        page = self.paginate_queryset(selectors.list_reports(reporter=request.user))
        data = ReportSerializer(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    @extend_schema(
        request=ReportCreateInputSerializer,
        responses={201: ReportSerializer, 200: ReportSerializer},
        description="201 with the new report; 200 with the caller's open report on the same "
        "target when there is one (nothing changes). 404 for a target the caller cannot see.",
    )
    def create(self, request):
        data = validated(ReportCreateInputSerializer, request)
        report, created = services.create_report(reporter=request.user, **data)
        return Response(
            ReportSerializer(report, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
