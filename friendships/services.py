"""Follow and unfollow: the friendship row, both counters and the follower's feed move in
one transaction. Both are idempotent (the unique key decides)."""

from django.db import IntegrityError, transaction
from django.db.models import F

from accounts.models import User
from accounts.selectors import get_active_user
from friendships.exceptions import CannotFollowSelf
from friendships.models import Friendship
from newsfeeds import services as newsfeed_services
from notifications import services as notification_services
from notifications.models import Verb


@transaction.atomic
def follow_user(*, follower: User, username: str) -> User:
    """Follow the user; their recent tweets join the follower's feed. Returns the followee."""
    followee = get_active_user(username=username)
    if followee.pk == follower.pk:
        raise CannotFollowSelf()
    try:
        with transaction.atomic():
            Friendship.objects.create(follower=follower, followee=followee)
    except IntegrityError:
        return followee  # already following
    User.objects.filter(pk=followee.pk).update(followers_count=F("followers_count") + 1)
    User.objects.filter(pk=follower.pk).update(following_count=F("following_count") + 1)
    newsfeed_services.backfill(follower=follower, followee=followee)
    notification_services.notify(recipient_id=followee.pk, actor=follower, verb=Verb.FOLLOWED)
    return followee


@transaction.atomic
def unfollow_user(*, follower: User, username: str) -> User:
    """Stop following; the followee's tweets leave the follower's feed. Returns the followee."""
    followee = get_active_user(username=username)
    if followee.pk == follower.pk:
        raise CannotFollowSelf("You cannot unfollow yourself.")
    deleted, _ = Friendship.objects.filter(follower=follower, followee=followee).delete()
    if deleted:
        User.objects.filter(pk=followee.pk).update(followers_count=F("followers_count") - 1)
        User.objects.filter(pk=follower.pk).update(following_count=F("following_count") - 1)
        newsfeed_services.remove_author(follower=follower, followee=followee)
    return followee
