"""Who to follow: precomputed for active users by a beat task, computed on demand (then
cached) for anyone who has none yet. Stale entries (followed since) are filtered on read.
Without the cache (Redis away) they are computed on every request, and nothing is stored."""

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import OuterRef
from django.utils import timezone

from accounts.models import User
from core import outages
from friendships.models import Friendship
from friendships.selectors import compute_suggestions
from safety.selectors import blocked_either_way, muting

LIMIT = 20


def _key(user_id: int) -> str:
    return f"suggestions:{user_id}"


def refresh_suggestions(*, user: User) -> list[int]:
    ids = compute_suggestions(user=user, limit=LIMIT * 2)  # spare ones survive new follows
    try:
        cache.set(_key(user.pk), ids, timeout=settings.SUGGESTIONS_TTL)
    except outages.REDIS_DOWN_ERRORS as exc:
        outages.record("suggestions_uncached", exc)
    return ids


def refresh_active_users(*, active_within: timedelta = timedelta(days=7)) -> int:
    users = User.objects.filter(is_active=True, last_login__gte=timezone.now() - active_within)
    count = 0
    for user in users.only("pk").iterator(chunk_size=500):
        refresh_suggestions(user=user)
        count += 1
    return count


def get_suggestions(*, user: User) -> list[User]:
    """Up to 20 users, best first; never the user, someone they follow, someone with a
    block with them, or someone they mute (checked on read: cached ids may predate it)."""
    try:
        ids = cache.get(_key(user.pk))
    except outages.REDIS_DOWN_ERRORS as exc:
        outages.record("suggestions_uncached", exc)
        ids = None
    if ids is None:
        ids = refresh_suggestions(user=user)
    followed = Friendship.objects.filter(follower=user).values("followee_id")
    users = (
        User.objects.filter(pk__in=ids, is_active=True)
        .exclude(pk=user.pk)
        .exclude(pk__in=followed)
        .filter(~blocked_either_way(user.pk, OuterRef("pk")), ~muting(user.pk, OuterRef("pk")))
    )
    by_id = {candidate.pk: candidate for candidate in users}
    return [by_id[pk] for pk in ids if pk in by_id][:LIMIT]
