"""Reads of blocks and mutes, as expressions the other apps put into their own queries.

Every list stays one query: the checks are EXISTS subqueries inside the list's own SQL, not
extra round trips, whatever the number of blocks or mutes (docs/safety.md).
"""

from collections.abc import Sequence
from datetime import datetime

from django.db.models import BooleanField, Exists, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from accounts.models import User
from safety.exceptions import Blocked
from safety.models import Block, Mute


def blocked_either_way(user, other) -> Exists:
    """EXISTS a block between `user` and `other` in either direction. Each side is an id,
    an `OuterRef` or another expression."""
    return Exists(
        Block.objects.filter(
            Q(blocker_id=user, blocked_id=other) | Q(blocker_id=other, blocked_id=user)
        )
    )


def active(now: datetime | None = None) -> Q:
    """The mutes that apply at `now` (default: the time of the read)."""
    return Q(expires_at__isnull=True) | Q(expires_at__gt=now or timezone.now())


def muting(muter, muted, *, now: datetime | None = None) -> Exists:
    """EXISTS an active mute of `muted` by `muter` (ids or expressions)."""
    return Exists(Mute.objects.filter(active(now), muter_id=muter, muted_id=muted))


def hide_blocked(queryset: QuerySet, *, viewer: User | None, fields: Sequence[str]) -> QuerySet:
    """`queryset` without rows whose user at any of `fields` (paths to a user id, e.g.
    "user_id", "retweet_of__user_id") blocks or is blocked by the viewer. Anonymous
    viewers are nobody's block: nothing is hidden from them by blocks."""
    if viewer is None:
        return queryset
    for field in fields:
        queryset = queryset.filter(~blocked_either_way(viewer.pk, OuterRef(field)))
    return queryset


def is_blocked_between(user_id: int, other_id: int) -> bool:
    return Block.objects.filter(
        Q(blocker_id=user_id, blocked_id=other_id) | Q(blocker_id=other_id, blocked_id=user_id)
    ).exists()


def ensure_not_blocked(*, actor: User, other_ids: Sequence[int | None]) -> None:
    """Raise Blocked (403 `blocked`) when the actor and any of these users block each
    other, in either direction. One query."""
    others = {pk for pk in other_ids if pk is not None and pk != actor.pk}
    if not others:
        return
    found = Block.objects.filter(
        Q(blocker_id=actor.pk, blocked_id__in=others)
        | Q(blocker_id__in=others, blocked_id=actor.pk)
    ).exists()
    if found:
        raise Blocked()


def shielded(recipient, actor) -> Q:
    """The recipient must not hear of the actor: a block either way, or the recipient mutes
    the actor (ids or expressions). For notifications.selectors.is_silenced."""
    return Q(blocked_either_way(recipient, actor)) | Q(muting(recipient, actor))


def annotate_relation_flags(queryset: QuerySet, *, viewer: User | None) -> QuerySet:
    """`is_blocking` (the viewer blocks them), `blocked_by` (they block the viewer) and
    `is_muting` (the viewer mutes them, now) on a User queryset, in the same query."""
    if viewer is None:
        false = Value(False, output_field=BooleanField())
        return queryset.annotate(is_blocking=false, blocked_by=false, is_muting=false)
    return queryset.annotate(
        is_blocking=Exists(Block.objects.filter(blocker_id=viewer.pk, blocked_id=OuterRef("pk"))),
        blocked_by=Exists(Block.objects.filter(blocker_id=OuterRef("pk"), blocked_id=viewer.pk)),
        is_muting=muting(viewer.pk, OuterRef("pk")),
    )


def next_mute_expiry(*, muter_id: int) -> datetime | None:
    """When the first of the muter's running, timed mutes ends (None: none will)."""
    return mute_expiries(muter_id=muter_id).values_list("expires_at", flat=True).first()


def mute_expiries(*, muter_id: int) -> QuerySet:
    """The muter's running, timed mutes, the first to end first: `[:1]` of its
    `expires_at` values is next_mute_expiry as a subquery, for a read that needs it in its
    own query (the feed cache's rebuild)."""
    return Mute.objects.filter(muter_id=muter_id, expires_at__gt=timezone.now()).order_by(
        "expires_at"
    )


def list_blocks(*, blocker: User) -> QuerySet:
    """Block rows of the blocker, with the blocked users, most recent block first."""
    return (
        Block.objects.filter(blocker=blocker, blocked__is_active=True)
        .select_related("blocked")
        .order_by("-id")
    )


def list_mutes(*, muter: User) -> QuerySet:
    """The muter's mutes that apply now, with the muted users, most recent mute first."""
    return (
        Mute.objects.filter(active(), muter=muter, muted__is_active=True)
        .select_related("muted")
        .order_by("-id")
    )
