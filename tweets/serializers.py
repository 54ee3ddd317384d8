from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request

from accounts.models import User
from accounts.serializers import UserSummarySerializer, absolute_media_url
from core.authentication import MAX_KEY
from tweets import selectors
from tweets.models import (
    ALT_TEXT_MAX_LENGTH,
    MAX_PHOTOS,
    TWEET_MAX_LENGTH,
    Comment,
    Tweet,
    TweetPhoto,
)

# --- output ------------------------------------------------------------------------------


class TweetPhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = TweetPhoto
        fields = ("url", "width", "height", "alt_text")

    def get_url(self, photo: TweetPhoto) -> str:
        return absolute_media_url(self.context.get("request"), photo.image)


class OriginalTweetSerializer(serializers.ModelSerializer):
    """A tweet as docs/api.md shows it, nested at the last level: `retweet_of` and
    `quote_of` null (a quoted tweet, and what the tweet cache stores). Expects
    hydrate_tweets() to have run (no queries here)."""

    user = UserSummarySerializer(read_only=True)
    photos = TweetPhotoSerializer(source="photo_list", many=True, read_only=True)
    hashtags = serializers.ListField(source="hashtag_names", child=serializers.CharField())
    mentions = serializers.ListField(source="mention_names", child=serializers.CharField())
    has_liked = serializers.BooleanField()
    has_retweeted = serializers.BooleanField()
    conversation_id = serializers.IntegerField(source="root_id", read_only=True)
    is_bookmarked = serializers.BooleanField(help_text="The viewer bookmarked it.")
    retweet_of = serializers.SerializerMethodField()
    quote_of = serializers.SerializerMethodField()

    class Meta:
        model = Tweet
        fields = (
            "id",
            "user",
            "text",
            "created_at",
            "edited_at",
            "photos",
            "hashtags",
            "mentions",
            "likes_count",
            "retweets_count",
            "comments_count",
            "has_liked",
            "has_retweeted",
            "is_bookmarked",
            "retweet_of",
            "in_reply_to_id",
            "conversation_id",
            "replies_count",
            "quote_of",
            "edit_count",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.JSONField(allow_null=True, default=None))
    def get_retweet_of(self, tweet: Tweet) -> None:
        return None  # nested tweets never nest further

    @extend_schema_field(serializers.JSONField(allow_null=True, default=None))
    def get_quote_of(self, tweet: Tweet) -> None:
        return None


class RetweetedTweetSerializer(OriginalTweetSerializer):
    """A retweet's original: its own quote nested (`shown_quote`: the quoted tweet when the
    viewer may see it, set by hydrate_tweets), `retweet_of` null."""

    quote_of = OriginalTweetSerializer(source="shown_quote", read_only=True, allow_null=True)

    class Meta(OriginalTweetSerializer.Meta):
        pass


class TweetSerializer(RetweetedTweetSerializer):
    retweet_of = RetweetedTweetSerializer(read_only=True, allow_null=True)

    class Meta(RetweetedTweetSerializer.Meta):
        pass


class TweetContextSerializer(serializers.Serializer):
    ancestors = TweetSerializer(many=True, read_only=True)
    descendants = TweetSerializer(many=True, read_only=True)


class TweetVersionSerializer(serializers.Serializer):
    """One text of a tweet's history (GET /tweets/{id}/history/)."""

    text = serializers.CharField()
    edited_at = serializers.DateTimeField(
        help_text="When the tweet got this text: its creation for the first text."
    )


class CommentSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)
    has_liked = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = Comment
        fields = ("id", "tweet_id", "user", "text", "created_at", "likes_count", "has_liked")
        read_only_fields = fields


class TweetDetailSerializer(TweetSerializer):
    """GET /tweets/{id}/: the tweet with the first page of its comments (its original's,
    for a retweet), oldest first; `comments_next` continues at /tweets/{id}/comments/."""

    comments = CommentSerializer(source="comment_page", many=True, read_only=True)
    comments_next = serializers.URLField(source="comments_next_url", allow_null=True)

    class Meta(TweetSerializer.Meta):
        fields = (*TweetSerializer.Meta.fields, "comments", "comments_next")
        read_only_fields = fields


def render_pinned_tweet(owner: User, viewer: User | None, request: Request | None) -> dict | None:
    """A profile's `pinned_tweet` (accounts.serializers.ProfileSerializer), as the viewer
    sees it: plugged in by TweetsConfig.ready."""
    tweet = selectors.get_pinned_tweet(owner=owner, viewer=viewer)
    if tweet is None:
        return None
    return TweetSerializer(tweet, context={"request": request}).data


class TrendSerializer(serializers.Serializer):
    hashtag = serializers.CharField()
    tweets_count = serializers.IntegerField()


# --- input -------------------------------------------------------------------------------


class TweetCreateInputSerializer(serializers.Serializer):
    # Length and blankness are checked by the service after Unicode normalisation; the
    # generous max_length here only stops absurd bodies early.
    text = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=TWEET_MAX_LENGTH * 4,
        style={"base_template": "textarea.html"},
    )
    photos = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        max_length=MAX_PHOTOS,
        default=list,
        # The browsable API's form: one file input for up to MAX_PHOTOS images.
        style={"template": "core/browsable/files.html", "accept": "image/*"},
    )
    alt_texts = serializers.ListField(
        child=serializers.CharField(
            max_length=ALT_TEXT_MAX_LENGTH, allow_blank=True, trim_whitespace=False
        ),
        required=False,
        default=list,
        help_text="A description of each photo, in photo order (at most one per photo).",
        # The browsable API's form: one text input per photo.
        style={"template": "core/browsable/texts.html", "inputs": range(MAX_PHOTOS)},
    )
    in_reply_to_id = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_KEY, help_text="The tweet this one replies to."
    )
    quote_of_id = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_KEY, help_text="The tweet this one quotes."
    )

    def validate(self, attrs):
        if not attrs.get("text") and not attrs.get("photos"):
            raise serializers.ValidationError({"text": ["A tweet needs text or photos."]})
        return attrs


class TweetUpdateInputSerializer(serializers.Serializer):
    text = serializers.CharField(
        allow_blank=True, trim_whitespace=False, max_length=TWEET_MAX_LENGTH * 4
    )


class CommentCreateInputSerializer(serializers.Serializer):
    text = serializers.CharField(trim_whitespace=False, max_length=TWEET_MAX_LENGTH * 4)
