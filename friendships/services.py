"""Follow, unfollow, block and mute: the friendship row, both counters and the follower's
feed move in one transaction. All are idempotent (the unique keys decide).

Blocks and mutes are stored by the `safety` app (low in the layers, so every app can read
them); their writes are here because a block rewrites follows, feeds and notifications.
"""

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import User
from accounts.selectors import get_active_user
from core.db import atomic_with_retry
from core.exceptions import NotFound
from friendships.exceptions import CannotFollowSelf
from friendships.models import FollowRequest, Friendship
from newsfeeds import services as newsfeed_services
from notifications import services as notification_services
from notifications.models import Verb
from safety.exceptions import CannotBlockSelf, CannotMuteSelf
from safety.models import Block, Mute
from safety.selectors import ensure_not_blocked
from tweets import services as tweet_services


@atomic_with_retry
def follow_user(*, follower: User, username: str) -> User:
    """Follow the user; their recent tweets join the follower's feed. A protected account
    gets a follow request instead (notified `follow_requested`), which it may accept.
    Idempotent. Returns the followee. Raises CannotFollowSelf, Blocked, NotFound."""
    followee = get_active_user(username=username)
    if followee.pk == follower.pk:
        raise CannotFollowSelf()
    ensure_not_blocked(actor=follower, other_ids=[followee.pk])
    if followee.is_protected:
        if not Friendship.objects.filter(follower=follower, followee=followee).exists():
            _request_follow(requester=follower, target=followee)
        return followee
    _follow(follower=follower, followee=followee, verb=Verb.FOLLOWED)
    return followee


def _follow(*, follower: User, followee: User, verb: str) -> bool:
    """The follow itself: row, backfill, counters, and a notification with `verb` (to the
    followee for `followed`, to the follower for `follow_accepted`)."""
    try:
        with transaction.atomic():
            Friendship.objects.create(follower=follower, followee=followee)
    except IntegrityError:
        return False  # already following
    # Tweets before users (the lock order of tweets.services): the backfill locks the
    # followee's recent tweets, then both counters move.
    newsfeed_services.backfill(follower=follower, followee=followee)
    _move_counters(follower=follower, followee=followee, delta=1)
    if verb == Verb.FOLLOWED:
        notification_services.notify(recipient_id=followee.pk, actor=follower, verb=verb)
    else:
        notification_services.notify(recipient_id=follower.pk, actor=followee, verb=verb)
    return True


def _request_follow(*, requester: User, target: User) -> None:
    try:
        with transaction.atomic():
            FollowRequest.objects.create(requester=requester, target=target)
    except IntegrityError:
        return  # already asked
    notification_services.notify(
        recipient_id=target.pk, actor=requester, verb=Verb.FOLLOW_REQUESTED
    )


@atomic_with_retry
def unfollow_user(*, follower: User, username: str) -> User:
    """Stop following (or withdraw a pending follow request); the followee's tweets leave
    the follower's feed. Returns the followee."""
    followee = get_active_user(username=username)
    if followee.pk == follower.pk:
        raise CannotFollowSelf("You cannot unfollow yourself.")
    FollowRequest.objects.filter(requester=follower, target=followee).delete()
    _unfollow(follower=follower, followee=followee)
    return followee


# --- follow requests ---------------------------------------------------------------------


@atomic_with_retry
def accept_follow_request(*, target: User, username: str) -> User:
    """The requester follows the target from now on, as a follow does (counters, backfill);
    they are notified `follow_accepted`. Returns the requester. Raises NotFound when there
    is no such request."""
    request = _take_request(target=target, username=username)
    _follow(follower=request.requester, followee=target, verb=Verb.FOLLOW_ACCEPTED)
    return request.requester


@atomic_with_retry
def reject_follow_request(*, target: User, username: str) -> User:
    """Delete the request. Returns the requester. Raises NotFound when there is none."""
    return _take_request(target=target, username=username).requester


def _take_request(*, target: User, username: str) -> FollowRequest:
    request = (
        FollowRequest.objects.select_for_update()
        .select_related("requester")
        .filter(target=target, requester__username__iexact=username, requester__is_active=True)
        .first()
    )
    if request is None:
        raise NotFound("No follow request from that user.")
    request.delete()
    return request


def protection_changed(user: User) -> None:
    """After `user.is_protected` changed (PATCH /me/): protected, others' retweets of the
    user's tweets go (tweets.services.remove_retweets_of); unprotected, pending follow
    requests are accepted."""
    if user.is_protected:
        tweet_services.remove_retweets_of(author=user)
    else:
        accept_all_follow_requests(user)


@transaction.atomic
def accept_all_follow_requests(user: User) -> None:
    """Accept every pending request to follow the user (their protection was lifted), in
    the order they were made."""
    pending = FollowRequest.objects.filter(target=user).select_related("requester").order_by("pk")
    for request in list(pending):
        request.delete()
        _follow(follower=request.requester, followee=user, verb=Verb.FOLLOW_ACCEPTED)


def _unfollow(*, follower: User, followee: User) -> bool:
    deleted, _ = Friendship.objects.filter(follower=follower, followee=followee).delete()
    if deleted:
        _move_counters(follower=follower, followee=followee, delta=-1)
        newsfeed_services.remove_author(follower=follower, followee=followee)
    return bool(deleted)


# --- blocks ------------------------------------------------------------------------------


@atomic_with_retry
def block_user(*, blocker: User, username: str) -> User:
    """Block the user. In one transaction: the block row; the follows and pending follow
    requests in both directions (counters moved, each side's feed rows of the other
    removed); feed rows of retweets of
    each other's tweets; the notifications between them. Cached feeds of both are dropped
    after commit. Idempotent. Returns the blocked user.

    Raises CannotBlockSelf, NotFound."""
    blocked = get_active_user(username=username)
    if blocked.pk == blocker.pk:
        raise CannotBlockSelf()
    # Both users' rows locked in id order: two users blocking each other at once move the
    # same counters, and would otherwise lock them in opposite orders (a deadlock).
    list(
        User.objects.select_for_update(no_key=True)
        .filter(pk__in=[blocker.pk, blocked.pk])
        .order_by("pk")
    )
    try:
        with transaction.atomic():
            Block.objects.create(blocker=blocker, blocked=blocked)
    except IntegrityError:
        return blocked  # already blocking
    _unfollow(follower=blocker, followee=blocked)
    _unfollow(follower=blocked, followee=blocker)
    FollowRequest.objects.filter(
        Q(requester=blocker, target=blocked) | Q(requester=blocked, target=blocker)
    ).delete()
    newsfeed_services.separate(user=blocker, other=blocked)
    notification_services.forget_between(user_id=blocker.pk, other_id=blocked.pk)
    return blocked


@atomic_with_retry
def unblock_user(*, blocker: User, username: str) -> User:
    """Lift the block. Follows removed by it stay removed. Idempotent."""
    blocked = get_active_user(username=username)
    if blocked.pk == blocker.pk:
        raise CannotBlockSelf("You cannot unblock yourself.")
    Block.objects.filter(blocker=blocker, blocked=blocked).delete()
    return blocked


# --- mutes -------------------------------------------------------------------------------


@atomic_with_retry
def mute_user(*, muter: User, username: str, duration: int | None = None) -> User:
    """Mute the user, for `duration` seconds or until unmuted. Muting again replaces the
    duration. The muter's cached feed is dropped after commit (it is rebuilt without the
    muted user's tweets). Returns the muted user. Raises CannotMuteSelf, NotFound."""
    muted = get_active_user(username=username)
    if muted.pk == muter.pk:
        raise CannotMuteSelf()
    now = timezone.now()
    expires_at = now + timedelta(seconds=duration) if duration else None
    Mute.objects.update_or_create(
        muter=muter, muted=muted, defaults={"expires_at": expires_at, "created_at": now}
    )
    newsfeed_services.refresh_cached_feed(user=muter)
    return muted


@atomic_with_retry
def unmute_user(*, muter: User, username: str) -> User:
    """Lift the mute: the muted user's tweets return to the muter's feed. Idempotent."""
    muted = get_active_user(username=username)
    if muted.pk == muter.pk:
        raise CannotMuteSelf("You cannot unmute yourself.")
    deleted, _ = Mute.objects.filter(muter=muter, muted=muted).delete()
    if deleted:
        newsfeed_services.refresh_cached_feed(user=muter)
    return muted


def _move_counters(*, follower: User, followee: User, delta: int) -> None:
    """Both users' counters, the lower id first: A following B while B follows A would
    otherwise lock the two rows in opposite orders."""
    updates = {
        follower.pk: {"following_count": F("following_count") + delta},
        followee.pk: {"followers_count": F("followers_count") + delta},
    }
    for user_id in sorted(updates):
        User.objects.filter(pk=user_id).update(**updates[user_id])


# --- account deletion (lifecycle.services.purge_account) ---------------------------------


@atomic_with_retry
def forget_follows_of(*, user_id: int, limit: int) -> int:
    """Remove up to `limit` follows to or from a deleted account as an unfollow does (both
    counters, the follower's feed rows), and every follow request either way. Returns how
    many follows it looked at: 0 means none are left."""
    FollowRequest.objects.filter(Q(requester_id=user_id) | Q(target_id=user_id)).delete()
    rows = list(
        Friendship.objects.filter(Q(follower_id=user_id) | Q(followee_id=user_id))
        .order_by("pk")
        .values_list("follower_id", "followee_id")[:limit]
    )
    if not rows:
        return 0
    # Every user whose counter moves, locked once in id order (as block_user does), so the
    # batch never waits for a follow in the opposite order.
    ids = {user for row in rows for user in row}
    users = {
        user.pk: user
        for user in User.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk")
    }
    for follower_id, followee_id in rows:
        _unfollow(follower=users[follower_id], followee=users[followee_id])
    return len(rows)


@transaction.atomic
def forget_shields_of(*, user_id: int) -> int:
    """Delete the blocks and mutes a deleted account made or was the object of."""
    blocks, _ = Block.objects.filter(Q(blocker_id=user_id) | Q(blocked_id=user_id)).delete()
    mutes, _ = Mute.objects.filter(Q(muter_id=user_id) | Q(muted_id=user_id)).delete()
    return blocks + mutes
