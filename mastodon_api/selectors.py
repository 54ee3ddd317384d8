"""The reads only this layer needs; everything else is Chirp's own selectors."""

import hashlib
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Lower
from oauth2_provider.models import get_access_token_model

from accounts.models import User
from core import outages
from safety.selectors import hide_blocked
from tweets.models import Hashtag, Pin, Tweet
from tweets.selectors import access_original


def with_last_status(queryset: QuerySet) -> QuerySet:
    """Users with `last_status_at`: their newest tweet's time (the (user, -id) index), in
    the same query."""
    newest = Tweet.objects.filter(user_id=OuterRef("pk")).order_by("-id").values("created_at")
    return queryset.annotate(last_status_at=Subquery(newest[:1]))


def accounts_for(*, ids: Iterable[int], usernames: Iterable[str] = ()) -> dict:
    """Active users by id and by lower-case username (a page's authors and the accounts
    its statuses mention), with the id of each one's pinned tweet (`pinned_tweet_id`, for
    the viewer's own statuses' `pinned`), in one query: ({id: user}, {username: user})."""
    ids, usernames = set(ids), {name.lower() for name in usernames}
    if not ids and not usernames:
        return {}, {}
    condition = Q(pk__in=ids) | Q(lower__in=usernames)
    pins = Pin.objects.filter(user_id=OuterRef("pk")).values("tweet_id")
    users = with_last_status(
        User.objects.alias(lower=Lower("username"))
        .filter(condition)
        .annotate(pinned_tweet_id=Subquery(pins[:1]))
    )
    by_id = {user.pk: user for user in users}
    return by_id, {user.username.lower(): user for user in by_id.values()}


def get_account(*, user_id: int) -> User | None:
    return with_last_status(User.objects.filter(pk=user_id, is_active=True)).first()


def reblog_id(*, user: User, original_id: int) -> int | None:
    """The id of the user's retweet of the original, if any (a retweet answers the
    original: Mastodon answers the reblog)."""
    return (
        Tweet.objects.filter(user=user, retweet_of_id=original_id)
        .values_list("pk", flat=True)
        .first()
    )


def list_reblogs(*, tweet_id: int, viewer: User | None) -> QuerySet:
    """Retweets of a tweet (its original's, for a retweet) with their users, most recent
    first, without users who block the viewer or whom the viewer blocks. Raises as
    tweets.selectors.access_original does."""
    original = access_original(tweet_id=tweet_id, viewer=viewer)
    queryset = Tweet.objects.filter(retweet_of=original, user__is_active=True)
    return hide_blocked(queryset, viewer=viewer, fields=["user_id"]).select_related("user")


def search_hashtags(*, term: str, limit: int) -> list[str]:
    """Hashtag names starting with the term (stored lower-case), shortest first."""
    term = term.lstrip("#").lower()
    if not term:
        return []
    names = Hashtag.objects.filter(name__startswith=term).values_list("name", flat=True)
    return sorted(names[:200], key=lambda name: (len(name), name))[:limit]


def get_access_token(*, raw: str):
    """The OAuth access token a raw bearer token is, with its user: the toolkit stores
    tokens hashed and finds them by this checksum (its own lookup, for the socket, which
    has no oauthlib request). None when there is none."""
    checksum = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    return (
        get_access_token_model()
        .objects.select_related("user")
        .filter(token_checksum=checksum)
        .first()
    )


def authors_of(*, tweet_ids: set[int]) -> dict[int, int]:
    """{tweet id: its author's id} for the tweets a page's statuses reply to: one query,
    none when the page has no reply."""
    if not tweet_ids:
        return {}
    return dict(Tweet.objects.filter(pk__in=tweet_ids).values_list("pk", "user_id"))


INSTANCE_COUNTS_KEY = "mastodon:instance-counts"


def instance_counts() -> dict[str, int]:
    """The instance's active users and statuses (Chirp's tweets, retweets included, as
    Mastodon counts reblogs), for the Instance entity. Every client asks for it when it
    starts, so the two counts are cached for MASTODON_INSTANCE_STATS_TTL seconds (Mastodon
    caches them too); with the cache unreachable they are counted on every call."""
    reachable = True
    try:
        counts = cache.get(INSTANCE_COUNTS_KEY)
    except outages.REDIS_DOWN_ERRORS as exc:
        outages.record("instance_counts_uncached", exc)
        counts, reachable = None, False
    if counts is None:
        counts = {
            "users": User.objects.filter(is_active=True).count(),
            "statuses": Tweet.objects.count(),
        }
        if reachable:
            try:
                cache.set(INSTANCE_COUNTS_KEY, counts, settings.MASTODON_INSTANCE_STATS_TTL)
            except outages.REDIS_DOWN_ERRORS as exc:
                outages.record("instance_counts_uncached", exc)
    return counts
