from rest_framework import serializers

from accounts.models import USERNAME_RE
from moderation.models import REPORT_COMMENT_MAX_LENGTH, Reason, Report, TargetType


class ReportCreateInputSerializer(serializers.Serializer):
    target_type = serializers.ChoiceField(choices=TargetType.choices)
    target_id = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Or `username` for a user."
    )
    username = serializers.RegexField(
        USERNAME_RE, required=False, help_text="A user to report (target_type `user`)."
    )
    reason = serializers.ChoiceField(choices=Reason.choices)
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=REPORT_COMMENT_MAX_LENGTH, trim_whitespace=True
    )

    def validate(self, attrs: dict) -> dict:
        has_id, has_username = "target_id" in attrs, "username" in attrs
        if attrs["target_type"] != TargetType.USER and has_username:
            raise serializers.ValidationError({"username": ["Only a user is named by username."]})
        if has_id and has_username:
            raise serializers.ValidationError({"username": ["Give target_id or username."]})
        if not has_id and not has_username:
            raise serializers.ValidationError({"target_id": ["This field is required."]})
        return attrs


class ReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = Report
        fields = ("id", "target_type", "target_id", "reason", "comment", "status", "created_at")
        read_only_fields = fields
