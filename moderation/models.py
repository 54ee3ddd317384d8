"""Reports and what moderators did about them (docs/safety.md, "Reports and moderation").

Users report tweets, comments, users and messages; the reports on one target while it is
open are gathered in one Case, the row of the moderators' queue in /admin/. A moderator
hides the content, suspends its author or dismisses the case, and may later reverse a hide
or a suspension; each decision is a ModerationAction, the audit trail: who, when, what, on
which reports.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class TargetType(models.TextChoices):
    TWEET = "tweet"
    COMMENT = "comment"
    USER = "user"
    MESSAGE = "message"


class Reason(models.TextChoices):
    SPAM = "spam"
    ABUSE = "abuse"
    ILLEGAL = "illegal"
    OTHER = "other"


class Status(models.TextChoices):
    OPEN = "open"
    ACTIONED = "actioned"
    DISMISSED = "dismissed"


REPORT_COMMENT_MAX_LENGTH = 1000


class Case(models.Model):
    """The open reports on one target (the moderators' queue groups by target). Once
    resolved, a new report on the same target opens a new case."""

    target_type = models.CharField(max_length=10, choices=TargetType.choices)
    target_id = models.PositiveBigIntegerField()
    # Whose content it is (the user, for a user report): whom "suspend" suspends.
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    reports_count = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(default=timezone.now)
    last_reported_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One open case per target: concurrent first reports meet on it.
            models.UniqueConstraint(
                fields=["target_type", "target_id"],
                condition=Q(status="open"),
                name="moderation_case_open_uniq",
            ),
        ]
        indexes = [
            # The queue: open cases first, the most recently reported first.
            models.Index(fields=["status", "-last_reported_at"], name="moderation_case_queue"),
            # A suspension resolves every open case about the user's content.
            models.Index(fields=["target_user", "status"], name="moderation_case_user"),
        ]

    def __str__(self) -> str:
        return f"{self.target_type} {self.target_id} ({self.status})"


class Report(models.Model):
    """One user's report of one target."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    target_type = models.CharField(max_length=10, choices=TargetType.choices)
    target_id = models.PositiveBigIntegerField()
    reason = models.CharField(max_length=10, choices=Reason.choices)
    comment = models.CharField(max_length=REPORT_COMMENT_MAX_LENGTH, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # A user reports a target once per case: a repeat returns the open report.
            models.UniqueConstraint(fields=["case", "reporter"], name="moderation_report_uniq"),
        ]
        indexes = [
            # GET /reports/: the reporter's own, newest first.
            models.Index(fields=["reporter", "-id"], name="moderation_report_reporter"),
        ]

    def __str__(self) -> str:
        return f"{self.reporter_id} reports {self.target_type} {self.target_id}: {self.reason}"


class Action(models.TextChoices):
    HIDE = "hide", "hide content"
    SUSPEND = "suspend", "suspend user"
    DISMISS = "dismiss", "dismiss"
    # A hide or a suspension undone (an appeal upheld, a mistake): the case stays
    # `actioned` and its audit trail ends with this row.
    REVERSE = "reverse", "reverse the decision"


class ModerationAction(models.Model):
    """The audit trail: a moderator's decision on a case, and the reports it resolved.
    Written by the service that carries the decision out, in its transaction."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="actions")
    # Kept when the moderator's account goes: the decision stays on record.
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    target_type = models.CharField(max_length=10, choices=TargetType.choices)
    target_id = models.PositiveBigIntegerField()
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reports = models.ManyToManyField(Report, related_name="actions")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.moderator_id} {self.action} {self.target_type} {self.target_id}"
