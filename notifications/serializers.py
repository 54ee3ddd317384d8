from rest_framework import serializers

from accounts.serializers import UserSummarySerializer
from notifications.models import Notification, Verb


class NotificationTweetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class NotificationCommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class NotificationReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(help_text="`actioned` or `dismissed`.")


class NotificationSerializer(serializers.ModelSerializer):
    actor = UserSummarySerializer(
        read_only=True, allow_null=True, help_text="Null for `report_resolved` (from Chirp)."
    )
    tweet = NotificationTweetSerializer(read_only=True, allow_null=True)
    comment = NotificationCommentSerializer(read_only=True, allow_null=True)
    report = NotificationReportSerializer(
        read_only=True, allow_null=True, help_text="The report `report_resolved` tells of."
    )

    class Meta:
        model = Notification
        fields = ("id", "verb", "actor", "tweet", "comment", "report", "unread", "created_at")
        read_only_fields = fields


class VerbListField(serializers.ListField):
    """Verbs, as `?verb=mentioned,replied` (or the parameter repeated): each must be a
    Verb; an unknown one is a validation error naming it."""

    child = serializers.ChoiceField(choices=Verb.choices)

    def to_internal_value(self, data) -> list[str]:
        values = [data] if isinstance(data, str) else data
        verbs = [verb.strip() for value in values for verb in str(value).split(",")]
        verbs = [verb for verb in verbs if verb]
        unknown = sorted({verb for verb in verbs if verb not in Verb.values})
        if unknown:
            raise serializers.ValidationError(
                f"Unknown verb: {', '.join(unknown)}. Known verbs: {', '.join(Verb.values)}."
            )
        return list(dict.fromkeys(verbs))


class NotificationListInputSerializer(serializers.Serializer):
    """The query of GET /notifications/."""

    verb = VerbListField(
        required=False,
        default=list,
        help_text="Only notifications of these verbs, comma-separated "
        "(`?verb=mentioned,replied`) or the parameter repeated.",
    )


class NotificationUpdateInputSerializer(serializers.Serializer):
    unread = serializers.BooleanField()


class UnreadCountSerializer(serializers.Serializer):
    unread_count = serializers.IntegerField()


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


# One boolean per verb, named after it: the settings' shape follows Verb, never restated.
NotificationSettingsSerializer = type(
    "NotificationSettingsSerializer",
    (serializers.Serializer,),
    {verb.value: serializers.BooleanField() for verb in Verb},
)
NotificationSettingsUpdateInputSerializer = type(
    "NotificationSettingsUpdateInputSerializer",
    (serializers.Serializer,),
    {verb.value: serializers.BooleanField(required=False) for verb in Verb},
)
