"""Admin for tweets. Deletes go through the services, so counters stay exact."""

from contextlib import suppress

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from core.exceptions import NotFound
from tweets import services
from tweets.models import (
    Bookmark,
    Comment,
    Hashtag,
    Like,
    Mention,
    Pin,
    Trend,
    Tweet,
    TweetEdit,
    TweetHashtag,
    TweetPhoto,
)


class TweetPhotoInline(admin.TabularInline):
    model = TweetPhoto
    extra = 0
    readonly_fields = ("image", "width", "height", "position")
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TweetEditInline(admin.TabularInline):
    """The texts the tweet had before its edits (history is written by the edit service)."""

    model = TweetEdit
    extra = 0
    readonly_fields = ("text", "edited_at")
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
    # retweet_of is shown (its __str__) on every row: join it, or each row costs a query.
    list_select_related = ("user", "retweet_of")
    inlines = [TweetPhotoInline, TweetEditInline]

    @admin.display(description="text")
    def short_text(self, tweet: Tweet) -> str:
        return tweet.text[:60]

    def has_add_permission(self, request) -> bool:
        return False  # tweets are posted through the API (services parse tags, move counters)

    # Read-only: a text changed here would skip what edit_tweet does (history, hashtags,
    # mentions, the rendered-tweet cache) and put words in the author's mouth. Moderators
    # hide a tweet (moderation's queue) or delete it here, through the service.
    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj: Tweet) -> None:
        services.delete_tweet(actor=None, tweet_id=obj.pk)

    def delete_queryset(self, request, queryset) -> None:
        for tweet_id in list(queryset.values_list("pk", flat=True)):
            # A retweet may already be gone with its original, earlier in this batch.
            with suppress(NotFound):
                services.delete_tweet(actor=None, tweet_id=tweet_id)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("id", "tweet", "user", "text", "created_at", "likes_count")
    search_fields = ("text", "user__username")
    # Moving a comment to another tweet would leave comments_count behind.
    readonly_fields = ("tweet", "user", "likes_count", "created_at")
    list_select_related = ("user", "tweet")

    def has_add_permission(self, request) -> bool:
        return False

    def delete_model(self, request, obj: Comment) -> None:
        services.delete_comment(actor=None, comment_id=obj.pk)

    def delete_queryset(self, request, queryset) -> None:
        for comment_id in list(queryset.values_list("pk", flat=True)):
            with suppress(NotFound):  # deleted meanwhile: nothing left to count
                services.delete_comment(actor=None, comment_id=comment_id)


@admin.register(Like)
class LikeAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "tweet", "comment", "created_at")
    raw_id_fields = ("user", "tweet", "comment")
    list_select_related = ("user", "tweet", "comment")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    # Deleting stays allowed: the admin refuses to delete a tweet or comment whose cascade
    # reaches a model the user may not delete. A like deleted here is an unlike.
    def delete_model(self, request, obj: Like) -> None:
        if obj.tweet_id is not None:
            services.unlike_tweet(user=obj.user, tweet_id=obj.tweet_id)
        else:
            services.unlike_comment(user=obj.user, comment_id=obj.comment_id)

    def delete_queryset(self, request, queryset) -> None:
        for like in list(queryset.select_related("user")):
            with suppress(NotFound):  # its tweet or comment is gone, and the like with it
                self.delete_model(request, like)


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


@admin.register(TweetPhoto)
class TweetPhotoAdmin(ReadOnlyAdmin):
    list_display = ("id", "tweet", "position", "width", "height", "image")
    raw_id_fields = ("tweet",)


@admin.register(TweetHashtag)
class TweetHashtagAdmin(ReadOnlyAdmin):
    list_display = ("id", "tweet", "hashtag", "created_at")
    raw_id_fields = ("tweet", "hashtag")
    list_select_related = ("hashtag",)


@admin.register(Mention)
class MentionAdmin(ReadOnlyAdmin):
    list_display = ("id", "tweet", "user")
    raw_id_fields = ("tweet", "user")
    list_select_related = ("user",)


@admin.register(TweetEdit)
class TweetEditAdmin(ReadOnlyAdmin):
    list_display = ("id", "tweet", "edited_at", "text")
    raw_id_fields = ("tweet",)


@admin.register(Bookmark)
class BookmarkAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "tweet", "created_at")
    raw_id_fields = ("user", "tweet")


@admin.register(Pin)
class PinAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "tweet", "created_at")
    raw_id_fields = ("user", "tweet")
