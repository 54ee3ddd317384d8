import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

TWEET_MAX_LENGTH = 280
MAX_PHOTOS = 4
ALT_TEXT_MAX_LENGTH = 1000


def thread_segment(tweet_id: int) -> str:
    """A tweet id as one segment of a thread path: its number of digits (two digits), then
    the digits. Segments need no separator, and comparing paths as strings orders a
    thread depth first, each tweet before its replies and siblings oldest (lowest id)
    first, because a shorter number sorts before a longer one and equal lengths compare
    digit by digit; paths hold only digits, so every collation orders them the same."""
    digits = str(tweet_id)
    return f"{len(digits):02d}{digits}"


def thread_ids(path: str) -> list[int]:
    """The tweet ids of a thread path, root first."""
    ids, position = [], 0
    while position < len(path):
        length = int(path[position : position + 2])
        ids.append(int(path[position + 2 : position + 2 + length]))
        position += 2 + length
    return ids


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
    """A tweet, or a retweet: a row with `retweet_of` set and empty text.

    A reply has `in_reply_to` set (null again if that tweet is deleted: the reply stays in
    its thread), `conversation_id` the id of the thread's first tweet (null for a tweet
    that replies to nothing: it starts its own conversation) and `thread_path` the
    thread_segment of every tweet from the root down to itself ("" for a root). The path
    is what reads a thread in a fixed number of queries: ancestors are the ids it holds,
    descendants the conversation's tweets whose path starts with it, in thread order
    when sorted by it (docs/threads.md). A quote has `quote_of` (null again if the quoted
    tweet is deleted).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tweets"
    )
    text = models.CharField(max_length=TWEET_MAX_LENGTH, blank=True, default="")
    retweet_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="retweets"
    )
    in_reply_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replies",
        db_index=False,  # tweets_reply_id below serves it
    )
    conversation_id = models.BigIntegerField(null=True, blank=True)
    thread_path = models.TextField(blank=True, default="")
    quote_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    # Set by a moderator (moderation.services.hide_content): the tweet leaves every list and
    # its detail answers 404; the row stays, for the audit and the appeal (docs/safety.md).
    hidden_at = models.DateTimeField(null=True, blank=True)
    likes_count = models.PositiveIntegerField(default=0)
    retweets_count = models.PositiveIntegerField(default=0)
    comments_count = models.PositiveIntegerField(default=0)
    replies_count = models.PositiveIntegerField(default=0)
    # How many times the text was edited: the rows of TweetEdit it has.
    edit_count = models.PositiveSmallIntegerField(default=0)

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
            models.CheckConstraint(
                condition=Q(retweet_of__isnull=True)
                | (Q(in_reply_to__isnull=True) & Q(quote_of__isnull=True)),
                name="tweets_retweet_is_no_reply_or_quote",
            ),
        ]
        indexes = [
            # A user's timeline, newest first (ids follow creation order).
            models.Index(fields=["user", "-id"], name="tweets_user_id_desc"),
            # A tweet's direct replies, oldest first.
            models.Index(fields=["in_reply_to", "id"], name="tweets_reply_id"),
            # A thread's tweets (context: the descendants, sorted by thread_path). The path
            # itself is not indexed: a deep thread's path outgrows a B-tree entry.
            models.Index(fields=["conversation_id"], name="tweets_conversation"),
        ]

    def __str__(self) -> str:
        if self.retweet_of_id:
            return f"{self.user_id} retweeted {self.retweet_of_id}"
        return f"{self.pk}: {self.text[:40]}"

    @property
    def is_retweet(self) -> bool:
        return self.retweet_of_id is not None

    @property
    def root_id(self) -> int:
        """The id of the thread's first tweet (conversation_id in the API)."""
        return self.conversation_id or self.pk

    @property
    def path(self) -> str:
        """Its thread path (a root's is its own segment)."""
        return self.thread_path or thread_segment(self.pk)


class TweetPhoto(models.Model):
    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=photo_upload_to)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    position = models.PositiveSmallIntegerField()
    alt_text = models.CharField(max_length=ALT_TEXT_MAX_LENGTH, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tweet", "position"], name="tweets_photo_position_uniq"
            ),
        ]

    def __str__(self) -> str:
        return self.image.name


class TweetEdit(models.Model):
    """A text a tweet had before an edit, and since when it had it (`edited_at`: its
    creation for the first text). The current text is the tweet's own."""

    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE, related_name="edits")
    text = models.CharField(max_length=TWEET_MAX_LENGTH, blank=True)
    edited_at = models.DateTimeField()

    class Meta:
        indexes = [
            # A tweet's history, newest first.
            models.Index(fields=["tweet", "-id"], name="tweets_edit_tweet_id_desc"),
        ]

    def __str__(self) -> str:
        return f"{self.tweet_id} before {self.pk}: {self.text[:40]}"


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
    hidden_at = models.DateTimeField(null=True, blank=True)  # as Tweet.hidden_at
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


class Bookmark(models.Model):
    """A tweet the user saved for later: private (nobody is told, nothing is counted), once
    per user and tweet, always an original (bookmarking a retweet saves its original)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "tweet"], name="tweets_bookmark_uniq"),
        ]
        indexes = [
            # The user's bookmarks, most recently bookmarked first (ids follow creation).
            models.Index(fields=["user", "-id"], name="tweets_bookmark_user_id_desc"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} saved {self.tweet_id}"


class Pin(models.Model):
    """The one tweet a user shows on top of their profile (`pinned_tweet`): one of their
    own, not a retweet. Pinning another replaces it; deleting the tweet removes the pin."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pin"
    )
    tweet = models.ForeignKey(Tweet, on_delete=models.CASCADE, related_name="pins")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user_id} pinned {self.tweet_id}"
