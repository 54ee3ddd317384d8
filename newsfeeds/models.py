from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class NewsFeed(models.Model):
    """One tweet in one user's home timeline (push model).

    The unique (user, tweet) key makes fan-out idempotent and, scanned backwards, is also
    the index of the feed query: WHERE user_id = ? AND tweet_id < ? ORDER BY tweet_id DESC.
    Tweet ids follow creation order, so ordering by tweet id is newest first.

    Fan-out writes this table more than anything else, and each index costs every row:
    there are three besides the primary key, each for a query that needs it. The foreign
    keys' own single-column indexes are left out where a composite one leads with the same
    column: `user` is served by the unique key, `author` by (author, user).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # Deleting tweets (their rows cascade) and forgetting them in cached feeds.
    tweet = models.ForeignKey("tweets.Tweet", on_delete=models.CASCADE, related_name="+")
    # The tweet's author, copied so an unfollow removes their tweets with one indexed delete.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "tweet"], name="newsfeeds_user_tweet_uniq"),
        ]
        indexes = [
            # Unfollow's delete (author = ? AND user = ?) and a deleted account's cascade
            # (author = ?). Author first: a fan-out batch shares one author and walks its
            # followers in id order, so its entries land side by side, not all over the tree.
            models.Index(fields=["author", "user"], name="newsfeeds_author_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} <- {self.tweet_id}"


class Fanout(models.Model):
    """Delivery state of one tweet to its author's followers, written in the tweet's own
    transaction, so a lost message or a broker outage is healed by the reconciler."""

    PENDING = "pending"
    DONE = "done"
    SKIPPED = "skipped"  # a large account: followers pull its tweets at read time
    STATUSES = [(PENDING, "pending"), (DONE, "done"), (SKIPPED, "skipped")]

    tweet = models.OneToOneField(
        "tweets.Tweet", on_delete=models.CASCADE, primary_key=True, related_name="fanout"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The reconciler's scan: pending, oldest first.
            models.Index(
                fields=["created_at"],
                condition=Q(status="pending"),
                name="newsfeeds_fanout_pending",
            ),
            # Read-time merge of large accounts' tweets: WHERE author IN (...) AND status='skipped'.
            models.Index(
                fields=["author", "-tweet"],
                condition=Q(status="skipped"),
                name="newsfeeds_fanout_skipped",
            ),
        ]

    def __str__(self) -> str:
        return f"fanout of {self.tweet_id}: {self.status}"


class FanoutBatch(models.Model):
    """One slice of followers (follower ids in (after_id, last_id]) for one fan-out."""

    fanout = models.ForeignKey(Fanout, on_delete=models.CASCADE, related_name="batches")
    after_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "fanout batches"  # Django's default appends an "s"
        constraints = [
            models.UniqueConstraint(fields=["fanout", "after_id"], name="newsfeeds_batch_uniq"),
        ]

    def __str__(self) -> str:
        return f"batch ({self.after_id}, {self.last_id}] of {self.fanout_id}"
