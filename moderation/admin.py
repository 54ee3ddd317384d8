"""The moderators' queue: cases (the reports on one target) with the content shown, open
ones first; three decisions and their reversal, each through moderation.services
(docs/safety.md)."""

from django.contrib import admin, messages
from django.db.models import Case as SqlCase
from django.db.models import CharField, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce

from accounts.models import User
from core.admin import ReadOnlyAdmin
from core.exceptions import ApplicationError
from messaging.models import Message
from moderation import services
from moderation.models import Case, ModerationAction, Report, Status, TargetType
from tweets.models import Comment, Tweet

CONTENT_PREVIEW = 120


def _content(model, field: str, target_type: str) -> When:
    text = model.objects.filter(pk=OuterRef("target_id")).values(field)[:1]
    return When(target_type=target_type, then=Subquery(text, output_field=CharField()))


class ReportInline(admin.TabularInline):
    model = Report
    extra = 0
    can_delete = False
    fields = ("reporter", "reason", "comment", "status", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class ModerationActionInline(admin.TabularInline):
    model = ModerationAction
    extra = 0
    can_delete = False
    fields = ("action", "moderator", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    """The queue. Each row is one reported target with its content; selecting rows and an
    action decides them all the same way."""

    list_display = (
        "id",
        "status",
        "target_type",
        "content",
        "target_user",
        "reports_count",
        "last_reported_at",
    )
    list_filter = ("status", "target_type")
    search_fields = ("target_user__username",)
    list_select_related = ("target_user",)
    readonly_fields = (
        "target_type",
        "target_id",
        "content",
        "target_user",
        "status",
        "reports_count",
        "opened_at",
        "last_reported_at",
        "resolved_at",
    )
    inlines = [ReportInline, ModerationActionInline]
    actions = ["hide_content", "suspend_user", "dismiss", "reverse"]

    def get_queryset(self, request):
        # Open cases first, then the most recently reported; the reported content in the
        # same query (one subquery per kind of target), so the page costs no query per row.
        content = SqlCase(
            _content(Tweet, "text", TargetType.TWEET),
            _content(Comment, "text", TargetType.COMMENT),
            _content(Message, "text", TargetType.MESSAGE),
            _content(User, "username", TargetType.USER),
            default=Value(""),
            output_field=CharField(),
        )
        open_first = SqlCase(
            When(status=Status.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        return (
            super()
            .get_queryset(request)
            .annotate(content_text=Coalesce(content, Value("")), open_first=open_first)
            .order_by("open_first", "-last_reported_at", "-id")
        )

    @admin.display(description="content")
    def content(self, case: Case) -> str:
        text = case.content_text
        if case.target_type == TargetType.USER:
            return f"@{text}"
        return text if len(text) <= CONTENT_PREVIEW else f"{text[:CONTENT_PREVIEW]}…"

    def _decide(self, request, queryset, decide, done: str) -> None:
        decided, refused = 0, []
        for case_id in queryset.values_list("pk", flat=True):
            try:
                decide(moderator=request.user, case_id=case_id)
                decided += 1
            except ApplicationError as exc:
                refused.append(f"case {case_id}: {exc.detail}")
        if decided:
            self.message_user(request, f"{decided} case(s) {done}.", messages.SUCCESS)
        if refused:
            self.message_user(request, "; ".join(refused), messages.WARNING)

    @admin.action(description="Hide the content (it leaves every list; detail 404)")
    def hide_content(self, request, queryset) -> None:
        self._decide(request, queryset, services.hide_content, "hidden")

    @admin.action(description="Suspend the user (tokens revoked, login refused, content hidden)")
    def suspend_user(self, request, queryset) -> None:
        self._decide(request, queryset, services.suspend_user, "resolved by suspension")

    @admin.action(description="Dismiss (nothing to act on)")
    def dismiss(self, request, queryset) -> None:
        self._decide(request, queryset, services.dismiss_case, "dismissed")

    @admin.action(description="Reverse the decision (show the content again, reinstate the user)")
    def reverse(self, request, queryset) -> None:
        self._decide(request, queryset, services.reverse_decision, "reversed")


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ("id", "reporter", "target_type", "target_id", "reason", "status", "created_at")
    list_filter = ("status", "reason", "target_type")
    search_fields = ("reporter__username",)
    list_select_related = ("reporter",)
    raw_id_fields = ("case", "reporter")


@admin.register(ModerationAction)
class ModerationActionAdmin(ReadOnlyAdmin):
    """The audit trail: who decided what, when, on which reports."""

    list_display = (
        "id",
        "created_at",
        "moderator",
        "action",
        "target_type",
        "target_id",
        "target_user",
        "report_ids",
    )
    list_filter = ("action", "target_type")
    search_fields = ("moderator__username", "target_user__username")
    list_select_related = ("moderator", "target_user")
    raw_id_fields = ("case", "moderator", "target_user")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("reports").order_by("-id")

    @admin.display(description="reports")
    def report_ids(self, action: ModerationAction) -> str:
        return ", ".join(str(report.pk) for report in action.reports.all())
