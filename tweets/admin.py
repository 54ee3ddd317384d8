"""Admin for tweets. Deletes go through the services, so counters stay exact."""

from django.contrib import admin

from tweets import services
from tweets.models import Comment, Hashtag, Like, Trend, Tweet, TweetPhoto


class TweetPhotoInline(admin.TabularInline):
    model = TweetPhoto
    extra = 0
    readonly_fields = ("image", "width", "height", "position")
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Tweet)
class TweetAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "user",
        "short_text",
        "retweet_of",
        "created_at",
        "likes_count",
        "retweets_count",
        "comments_count",
    )
    list_filter = ("created_at",)
    search_fields = ("text", "user__username")
    raw_id_fields = ("user", "retweet_of")
    readonly_fields = ("likes_count", "retweets_count", "comments_count", "created_at", "edited_at")
    list_select_related = ("user",)
    inlines = [TweetPhotoInline]

    @admin.display(description="text")
    def short_text(self, tweet: Tweet) -> str:
        return tweet.text[:60]

    def has_add_permission(self, request) -> bool:
        return False  # tweets are posted through the API (services parse tags, move counters)

    def delete_model(self, request, obj: Tweet) -> None:
        services.delete_tweet(actor=None, tweet_id=obj.pk)

    def delete_queryset(self, request, queryset) -> None:
        for tweet_id in queryset.values_list("pk", flat=True):
            services.delete_tweet(actor=None, tweet_id=tweet_id)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("id", "tweet", "user", "text", "created_at", "likes_count")
    search_fields = ("text", "user__username")
    raw_id_fields = ("tweet", "user")
    readonly_fields = ("likes_count", "created_at")
    list_select_related = ("user", "tweet")

    def has_add_permission(self, request) -> bool:
        return False

    def delete_model(self, request, obj: Comment) -> None:
        services.delete_comment(actor=None, comment_id=obj.pk)

    def delete_queryset(self, request, queryset) -> None:
        for comment_id in queryset.values_list("pk", flat=True):
            services.delete_comment(actor=None, comment_id=comment_id)


@admin.register(Like)
class LikeAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "tweet", "comment", "created_at")
    raw_id_fields = ("user", "tweet", "comment")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # unliking goes through the API so likes_count follows


@admin.register(Hashtag)
class HashtagAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(Trend)
class TrendAdmin(admin.ModelAdmin):
    list_display = ("rank", "hashtag", "tweets_count", "computed_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
