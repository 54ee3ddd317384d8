from django.contrib import admin, messages

from core.admin import ReadOnlyAdmin
from newsfeeds import tasks
from newsfeeds.models import Fanout, FanoutBatch, NewsFeed


@admin.register(NewsFeed)
class NewsFeedAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "tweet", "author", "created_at")
    search_fields = ("user__username", "author__username")
    raw_id_fields = ("user", "tweet", "author")
    list_select_related = ("user", "author", "tweet")


class FanoutBatchInline(admin.TabularInline):
    model = FanoutBatch
    extra = 0
    fields = ("after_id", "last_id", "done_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Fanout)
class FanoutAdmin(ReadOnlyAdmin):
    list_display = ("tweet", "author", "status", "created_at", "attempts", "completed_at")
    list_filter = ("status", "created_at")
    search_fields = ("author__username",)
    raw_id_fields = ("tweet", "author")
    list_select_related = ("author", "tweet")
    inlines = [FanoutBatchInline]
    actions = ["resend"]

    @admin.action(description="Re-enqueue the selected pending fan-outs")
    def resend(self, request, queryset) -> None:
        pending = list(queryset.filter(status=Fanout.PENDING).values_list("tweet_id", flat=True))
        for tweet_id in pending:
            tasks.fanout_tweet.apply_async(args=(tweet_id,))
        self.message_user(request, f"{len(pending)} fan-outs re-enqueued.", messages.SUCCESS)


@admin.register(FanoutBatch)
class FanoutBatchAdmin(ReadOnlyAdmin):
    list_display = ("id", "fanout", "after_id", "last_id", "done_at")
    raw_id_fields = ("fanout",)
