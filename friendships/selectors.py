"""Reads of follows: lists, the viewer's flags, suggestions."""

from collections.abc import Callable

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery

from accounts.models import User
from accounts.selectors import get_active_user, list_users
from core.exceptions import NotFound
from friendships.models import FollowRequest, Friendship
from safety.selectors import annotate_relation_flags, hide_blocked
from tweets.models import Pin


def annotate_viewer_flags(queryset: QuerySet, *, viewer: User | None) -> QuerySet:
    """`is_following` (viewer follows them) and `follows_you` (they follow the viewer), and
    the block and mute flags of safety.selectors, as EXISTS subqueries in the same query."""
    queryset = annotate_relation_flags(queryset, viewer=viewer)
    if viewer is None:
        from django.db.models import BooleanField, Value

        false = Value(False, output_field=BooleanField())
        return queryset.annotate(is_following=false, follows_you=false, follow_requested=false)
    return queryset.annotate(
        follow_requested=Exists(
            FollowRequest.objects.filter(requester_id=viewer.pk, target_id=OuterRef("pk"))
        ),
        is_following=Exists(
            Friendship.objects.filter(follower_id=viewer.pk, followee_id=OuterRef("pk"))
        ),
        follows_you=Exists(
            Friendship.objects.filter(follower_id=OuterRef("pk"), followee_id=viewer.pk)
        ),
    )


def get_profile(*, username: str, viewer: User | None) -> User:
    """One active user by username (any case), with the viewer's flags and the id of their
    pinned tweet (`pinned_tweet_id`, in the same query: a profile with no pin costs no
    more). NotFound otherwise."""
    queryset = annotate_viewer_flags(User.objects.filter(is_active=True), viewer=viewer)
    pins = Pin.objects.filter(user_id=OuterRef("pk")).values("tweet_id")
    queryset = queryset.annotate(pinned_tweet_id=Subquery(pins[:1]))
    user = queryset.filter(username__iexact=username).first()
    if user is None:
        raise NotFound("No user with that username.")
    return user


def search_users(*, search: str | None, viewer: User | None) -> QuerySet:
    """accounts.selectors.list_users without the users who block the viewer or whom the
    viewer blocks (one EXISTS in the same query)."""
    return hide_blocked(list_users(search=search), viewer=viewer, fields=["pk"])


def can_see_tweets_of(viewer: User | None, user_path: str = "") -> Q:
    """A condition on rows whose user is at `user_path` (a path to a User, e.g. "user",
    "retweet_of__user"; empty on a User queryset): the viewer may see that user's tweets,
    because the account is not protected, or is the viewer's own, or the viewer follows it
    (an accepted follow). One EXISTS, inside the caller's query."""
    prefix, user_id = (f"{user_path}__", f"{user_path}_id") if user_path else ("", "pk")
    public = Q(**{f"{prefix}is_protected": False})
    if viewer is None:
        return public
    follows = Friendship.objects.filter(follower_id=viewer.pk, followee_id=OuterRef(user_id))
    return public | Q(**{user_id: viewer.pk}) | Q(Exists(follows))


def list_follow_requests(*, target: User) -> QuerySet:
    """Pending requests to follow the target, most recent first, with the requesters."""
    return (
        FollowRequest.objects.filter(target=target, requester__is_active=True)
        .select_related("requester")
        .order_by("-id")
    )


def list_followers(*, username: str, viewer: User | None = None) -> QuerySet:
    """Friendship rows whose followee is the user, most recent first, without followers
    who block the viewer or whom the viewer blocks."""
    user = get_active_user(username=username)
    queryset = Friendship.objects.filter(followee=user, follower__is_active=True)
    queryset = hide_blocked(queryset, viewer=viewer, fields=["follower_id"])
    return queryset.select_related("follower").order_by("-id")


def list_following(*, username: str, viewer: User | None = None) -> QuerySet:
    """As list_followers, for the accounts the user follows."""
    user = get_active_user(username=username)
    queryset = Friendship.objects.filter(follower=user, followee__is_active=True)
    queryset = hide_blocked(queryset, viewer=viewer, fields=["followee_id"])
    return queryset.select_related("followee").order_by("-id")


def followee_ids(*, user_id: int) -> QuerySet:
    return Friendship.objects.filter(follower_id=user_id).values("followee_id")


# Candidates that apps above friendships add to suggestions, ranked after friends of friends:
# facebook_connect adds the user's Facebook friends on Chirp. Those apps sit above
# friendships (docs/architecture.md, layers), so they register here when Django starts
# (their AppConfig.ready) instead of friendships importing them. Each takes the user's id
# and answers a queryset of users.
SUGGESTION_SOURCES: dict[str, Callable[[int], QuerySet]] = {}


def compute_suggestions(*, user: User, limit: int = 20) -> list[int]:
    """Ids of users worth following: friends of friends ranked by how many of the user's
    follows follow them, then those of SUGGESTION_SOURCES (Facebook friends on Chirp), then
    popular accounts; never the user or someone followed (blocks and mutes are applied on
    read, by get_suggestions)."""
    followed = followee_ids(user_id=user.pk)
    friends_of_friends = (
        Friendship.objects.filter(follower_id__in=followed, followee__is_active=True)
        .exclude(followee_id=user.pk)
        .exclude(followee_id__in=followed)
        .values("followee_id")
        .annotate(mutual=Count("id"))
        .order_by("-mutual", "followee_id")[:limit]
    )
    ids = [row["followee_id"] for row in friends_of_friends]
    for source in SUGGESTION_SOURCES.values():
        if len(ids) >= limit:
            break
        ids += list(
            source(user.pk)
            .exclude(pk__in=followed)
            .exclude(pk__in=ids)
            .order_by("-followers_count", "id")
            .values_list("pk", flat=True)[: limit - len(ids)]
        )
    if len(ids) < limit:
        popular = (
            User.objects.filter(is_active=True)
            .exclude(pk=user.pk)
            .exclude(pk__in=followed)
            .exclude(pk__in=ids)
            .order_by("-followers_count", "id")
            .values_list("pk", flat=True)[: limit - len(ids)]
        )
        ids += list(popular)
    return ids
