from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from lifecycle.models import DataExport
from lifecycle.selectors import is_downloadable, sign_download


class DeleteAccountInputSerializer(serializers.Serializer):
    password = serializers.CharField(
        required=False, max_length=4096, trim_whitespace=False, style={"input_type": "password"},
        help_text="The account's password.",
    )  # fmt: skip
    access_token = serializers.CharField(
        required=False,
        max_length=4096,
        help_text="A Facebook-only account (no password): a fresh Facebook user access token "
        "of the connected Facebook account, checked with Facebook.",
    )


class DataExportSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    expires_at = serializers.SerializerMethodField()

    class Meta:
        model = DataExport
        fields = ("id", "status", "progress", "download_url", "expires_at")
        read_only_fields = fields

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_download_url(self, export: DataExport) -> str | None:
        """A link signed for this export, expiring; null until it is built and once the
        archive expired."""
        if not is_downloadable(export):
            return None
        url = reverse("export-download", args=[export.pk], request=self.context.get("request"))
        return f"{url}?signature={sign_download(export)}"

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_expires_at(self, export: DataExport):
        if not is_downloadable(export):
            return None
        return serializers.DateTimeField().to_representation(export.expires_at)
