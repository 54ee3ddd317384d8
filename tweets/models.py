import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

TWEET_MAX_LENGTH = 280
MAX_PHOTOS = 4


def photo_upload_to(instance: "TweetPhoto", filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1]
    now = timezone.now()
    return f"tweets/{now:%Y/%m}/{uuid.uuid4().hex}.{extension}"


class Hashtag(models.Model):
    """A tag, stored lower-cased: `#Django` and `#django` are one hashtag."""

    name = models.CharField(max_length=100, unique=True)

    def __str__(self) -> str:
        return f"#{self.name}"


class Tweet(models.Model):
    """A tweet, or a retweet: a row with `retweet_of` set and empty text."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tweets"
    )
    text = models.CharField(max_length=TWEET_MAX_LENGTH, blank=True, default="")
    retweet_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="retweets"
    )
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    likes_count = models.PositiveIntegerField(default=0)
    retweets_count = models.PositiveIntegerField(default=0)
    comments_count = models.PositiveIntegerField(default=0)

    hashtags = models.ManyToManyField(Hashtag, through="TweetHashtag", related_name="tweets")
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Mention", related_name="mentioned_in"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "retweet_of"],
                condition=Q(retweet_of__isnull=False),
                name="tweets_one_retweet_per_user",
            ),
            models.CheckConstraint(
                condition=Q(retweet_of__isnull=True) | Q(text=""),
                name="tweets_retweet_has_no_text",
            ),
        ]
        indexes = [
            # A user's timeline, newest first (ids follow creation order).
            models.Index(fields=["user", "-id"], name="tweets_user_id_desc"),
        ]

    def __str__(self) -> str:
        if self.retweet_of_id:
            return f"{self.user_id} retweeted {self.retweet_of_id}"
        return f"{self.pk}: {self.text[:40]}"

    @property
    def is_retweet(self) -> bool:
        return self.retweet_of_id is not None


class TweetPhoto(models.Model):
    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=photo_upload_to)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    position = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tweet", "position"], name="tweets_photo_position_uniq"
            ),
        ]

    def __str__(self) -> str:
        return self.image.name


class TweetHashtag(models.Model):
    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE)
    hashtag = models.ForeignKey(Hashtag, on_delete=models.CASCADE)
    # The tweet's time, copied here so trends count a window without joining tweets.
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tweet", "hashtag"], name="tweets_tweethashtag_uniq"),
        ]
        indexes = [
            # ?hashtag=: an index range scan, newest tweets first.
            models.Index(fields=["hashtag", "-tweet"], name="tweets_hashtag_tweet_desc"),
            models.Index(fields=["created_at"], name="tweets_hashtag_created"),
        ]

    def __str__(self) -> str:
        return f"{self.tweet_id} #{self.hashtag_id}"


class Mention(models.Model):
    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tweet", "user"], name="tweets_mention_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.tweet_id} @{self.user_id}"


class Comment(models.Model):
    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE, related_name="comments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments"
    )
    text = models.CharField(max_length=TWEET_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)
    likes_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["tweet", "id"], name="tweets_comment_tweet_id")]

    def __str__(self) -> str:
        return f"{self.pk} on {self.tweet_id}: {self.text[:40]}"


class Like(models.Model):
    """A like of a tweet or of a comment (exactly one), once per user and object."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes"
    )
    tweet = models.ForeignKey(
        Tweet, null=True, blank=True, on_delete=models.CASCADE, related_name="likes"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="likes"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(tweet__isnull=False) & Q(comment__isnull=True))
                | (Q(tweet__isnull=True) & Q(comment__isnull=False)),
                name="tweets_like_one_target",
            ),
            models.UniqueConstraint(
                fields=["user", "tweet"],
                condition=Q(tweet__isnull=False),
                name="tweets_like_tweet_uniq",
            ),
            models.UniqueConstraint(
                fields=["user", "comment"],
                condition=Q(comment__isnull=False),
                name="tweets_like_comment_uniq",
            ),
        ]
        indexes = [
            # Who liked a tweet, most recent first.
            models.Index(fields=["tweet", "-id"], name="tweets_like_tweet_id_desc"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} likes {self.tweet_id or self.comment_id}"


class Trend(models.Model):
    """The most used hashtags of the last 24 hours, rewritten by a beat task."""

    hashtag = models.CharField(max_length=100)
    tweets_count = models.PositiveIntegerField()
    rank = models.PositiveSmallIntegerField(unique=True)
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.rank}. #{self.hashtag} ({self.tweets_count})"
