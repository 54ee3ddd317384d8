"""The reads only this layer needs; everything else is Chirp's own selectors."""

from collections.abc import Iterable

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Lower

from accounts.models import User
from tweets.models import Tweet


def with_last_status(queryset: QuerySet) -> QuerySet:
    """Users with `last_status_at`: their newest tweet's time (the (user, -id) index), in
    the same query."""
    newest = Tweet.objects.filter(user_id=OuterRef("pk")).order_by("-id").values("created_at")
    return queryset.annotate(last_status_at=Subquery(newest[:1]))


def accounts_for(*, ids: Iterable[int], usernames: Iterable[str] = ()) -> dict:
    """Active users by id and by lower-case username (a page's authors and the accounts
    its statuses mention), in one query: ({id: user}, {username: user})."""
    ids, usernames = set(ids), {name.lower() for name in usernames}
    if not ids and not usernames:
        return {}, {}
    condition = Q(pk__in=ids) | Q(lower__in=usernames)
    users = with_last_status(User.objects.alias(lower=Lower("username")).filter(condition))
    by_id = {user.pk: user for user in users}
    return by_id, {user.username.lower(): user for user in by_id.values()}


def get_account(*, user_id: int) -> User | None:
    return with_last_status(User.objects.filter(pk=user_id, is_active=True)).first()
