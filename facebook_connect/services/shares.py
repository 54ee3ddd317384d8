"""Publishing tweets to Facebook Pages through an outbox: a row written in the request's
transaction, then published by a task with retries, ending `done` or `failed`.
"""

import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from core.tasks import enqueue_on_commit
from facebook_connect import graph
from facebook_connect.exceptions import (
    FacebookError,
    FacebookNotConnected,
    FacebookRateLimited,
    FacebookTokenInvalid,
)
from facebook_connect.models import FacebookAccount, FacebookShare
from facebook_connect.services.tokens import mark_disconnected
from safety.exceptions import Protected
from tweets import selectors as tweet_selectors

# How long a worker owns a share while it talks to Facebook (well above the Graph timeouts).
SHARE_LEASE = timedelta(minutes=5)


@transaction.atomic
def create_share(*, user: User, tweet_id: int, page_id: str) -> FacebookShare:
    """Record a share (outbox row) and schedule its publication after commit.

    Raises FacebookNotConnected (400), NotFound for a missing tweet or one the user may not
    see, Blocked, and Protected for a protected account's tweet.
    """
    account = FacebookAccount.objects.filter(user_id=user.pk).first()
    if account is None or not account.is_connected:
        raise FacebookNotConnected()
    tweet = tweet_selectors.access_original(tweet_id=tweet_id, viewer=user)
    if tweet.user.is_protected:
        raise Protected()  # a Page is public: protected tweets never leave Chirp
    tweet = tweet_selectors.get_tweet(tweet_id=tweet_id)
    share = FacebookShare.objects.create(user=user, tweet=tweet, page_id=page_id)
    from facebook_connect import tasks

    enqueue_on_commit(tasks.publish_share, share.pk)
    return share


def _finish_share(share_id: int, status: str, *, error: str = "", post_id: str = "") -> None:
    now = timezone.now()
    FacebookShare.objects.filter(pk=share_id, status=FacebookShare.PENDING).update(
        status=status,
        error=error[:200],
        facebook_post_id=post_id,
        lease_until=None,
        updated_at=now,
        completed_at=now,
    )


def _share_message(share: FacebookShare) -> tuple[str, str]:
    """The post's text, and a link to the tweet on the web client at FRONTEND_URL; none
    when that is unset (this server has no public tweet page to link to)."""
    tweet = share.tweet.retweet_of if share.tweet.retweet_of_id else share.tweet
    if not settings.FRONTEND_URL:
        return tweet.text, ""
    return tweet.text, f"{settings.FRONTEND_URL.rstrip('/')}/tweets/{tweet.pk}/"


def publish_share(*, share_id: int) -> float | None:
    """One attempt to publish a pending share. Returns the delay before the next attempt
    when it should be retried (the caller's countdown; the row records when it is due),
    None when the share is settled (done, failed, gone) or another worker holds it.

    A Graph error that is `retryable` (Facebook down or rate limiting): retried until
    FACEBOOK_SHARE_MAX_ATTEMPTS attempts, then `failed`. A revoked token, a Page the user
    does not manage, a missing permission, any other Graph error: `failed` at once. Every
    delivery counts against the same attempts, the reconciler's too: a share whose attempts
    are spent (its last one lost with its worker) is failed, never published again.
    """
    now = timezone.now()
    workable = FacebookShare.objects.filter(pk=share_id, status=FacebookShare.PENDING).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )
    claimed = workable.filter(attempts__lt=settings.FACEBOOK_SHARE_MAX_ATTEMPTS).update(
        lease_until=now + SHARE_LEASE,
        attempts=F("attempts") + 1,
        next_attempt_at=None,
        updated_at=now,
    )
    if not claimed:
        spent = workable.filter(attempts__gte=settings.FACEBOOK_SHARE_MAX_ATTEMPTS).first()
        if spent is not None:
            _finish_share(spent.pk, FacebookShare.FAILED, error=spent.error or "attempts_exhausted")
        return None
    share = FacebookShare.objects.select_related("tweet__retweet_of").get(pk=share_id)
    account = FacebookAccount.objects.filter(user_id=share.user_id).first()
    if account is None or not account.is_connected:
        _finish_share(share.pk, FacebookShare.FAILED, error="facebook_not_connected")
        return None
    client = graph.client()
    try:
        pages = client.managed_pages(account.access_token)
        page = next((p for p in pages if p["page_id"] == share.page_id), None)
        if page is None or not page["access_token"]:
            _finish_share(share.pk, FacebookShare.FAILED, error="page_not_managed")
            return None
        if page["tasks"] and "CREATE_CONTENT" not in page["tasks"]:
            _finish_share(share.pk, FacebookShare.FAILED, error="page_permission_missing")
            return None
        message, link = _share_message(share)
        post_id = client.publish_to_page(
            page_id=share.page_id, page_token=page["access_token"], message=message, link=link
        )
    except FacebookTokenInvalid:
        mark_disconnected(account_id=account.pk)
        _finish_share(share.pk, FacebookShare.FAILED, error="facebook_token_invalid")
        return None
    except FacebookError as exc:
        if exc.retryable:
            return _retry_or_fail(share, exc)
        _finish_share(share.pk, FacebookShare.FAILED, error=exc.code)
        return None
    _finish_share(share.pk, FacebookShare.DONE, post_id=post_id)
    return None


def _retry_or_fail(share: FacebookShare, exc: FacebookError) -> float | None:
    """Fail the share if this was its last attempt; else record when the retry is due
    (doubling backoff, at most an hour, with jitter) and return the delay until then."""
    error = "facebook_rate_limited" if isinstance(exc, FacebookRateLimited) else exc.code
    if share.attempts >= settings.FACEBOOK_SHARE_MAX_ATTEMPTS:
        _finish_share(share.pk, FacebookShare.FAILED, error=error)
        return None
    delay = settings.FACEBOOK_SHARE_RETRY_BACKOFF * 2 ** (share.attempts - 1)
    delay = min(delay, 3600) * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not crypto)
    now = timezone.now()
    FacebookShare.objects.filter(pk=share.pk, status=FacebookShare.PENDING).update(
        lease_until=None,
        next_attempt_at=now + timedelta(seconds=delay),
        error=error,
        updated_at=now,
    )
    return delay
