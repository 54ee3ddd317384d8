"""DELETE /me/ and the data exports (docs/lifecycle.md). Thin: validate, call one service or
selector, render."""

from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts import views as account_views
from accounts.throttling import check_password_attempt
from core.api import InputSerializersMixin, validated
from core.exceptions import NotFound
from lifecycle import selectors, services
from lifecycle.models import export_storage
from lifecycle.serializers import DataExportSerializer, DeleteAccountInputSerializer


class MeViewSet(account_views.MeViewSet):
    """/me/ as accounts serves it (GET, PATCH, DELETE /me/avatar/), and DELETE /me/: deleting
    an account touches every app, so this app, above them all, serves /me/ (as friendships
    serves profiles)."""

    input_serializers = {
        **account_views.MeViewSet.input_serializers,
        "destroy": DeleteAccountInputSerializer,
    }

    @extend_schema(
        request=DeleteAccountInputSerializer,
        responses={202: None},
        description="Delete the account. At once it can no longer log in, its tokens and "
        "sockets are revoked and its profile answers 404; everything it stored is deleted in "
        "the background. A wrong or missing password (or, for a Facebook-only account, "
        "Facebook token) answers 400 `validation_error`; attempts count against the login "
        "throttle (429).",
    )
    def destroy(self, request):
        data = validated(DeleteAccountInputSerializer, request)
        check_password_attempt(request, user=request.user)
        services.delete_account(user=request.user, **data)
        return Response(status=status.HTTP_202_ACCEPTED)


class DataExportViewSet(
    InputSerializersMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's data exports: ask for one, follow its progress, download it."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = DataExportSerializer
    throttle_scope = "export"
    throttle_writes_only = True
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.list_exports(user=self.request.user)

    def get_object(self):
        return selectors.access_export(user=self.request.user, export_id=int(self.kwargs["pk"]))

    @extend_schema(
        request=None,
        responses={202: DataExportSerializer},
        description="Start an export of everything the caller stored (a zip of JSON files and "
        "their media). One at a time: while one is pending or running, this answers 202 "
        "with that one.",
    )
    def create(self, request):
        export, _ = services.request_export(user=request.user)
        return Response(
            DataExportSerializer(export, context={"request": request}).data,
            status=status.HTTP_202_ACCEPTED,
        )

    @extend_schema(
        parameters=[OpenApiParameter("signature", str, required=True)],
        responses={
            (200, "application/zip"): OpenApiResponse(description="The zip archive."),
        },
        description="The archive, for its owner only, with the signature of its "
        "`download_url`; an expired, tampered or someone else's link answers 404.",
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        export = self.get_object()
        signature = request.query_params.get("signature", "")
        if not selectors.is_downloadable(export) or not selectors.download_matches(
            export, signature
        ):
            raise NotFound("This download link is invalid or has expired.")
        return FileResponse(
            export_storage().open(export.archive, "rb"),
            as_attachment=True,
            filename=f"chirp-export-{export.pk}.zip",
            content_type="application/zip",
        )
