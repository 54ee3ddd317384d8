"""Reads of users, shared by views, tasks and other apps. A profile as a viewer sees it
(with follow flags) is friendships.selectors.get_profile."""

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from accounts.models import User
from core.exceptions import NotFound

SUMMARY_FIELDS = ("id", "username", "display_name", "avatar")


def find_user_by_login(login: str) -> User | None:
    """The account a login names: its username or its email, in any case (active or not)."""
    login = login.strip()
    return User.objects.filter(Q(username__iexact=login) | Q(email__iexact=login)).first()


def get_active_user(*, username: str) -> User:
    """An active user by username (any case); NotFound otherwise."""
    user = User.objects.filter(username__iexact=username, is_active=True).first()
    if user is None:
        raise NotFound("No user with that username.")
    return user


def list_users(*, search: str | None) -> QuerySet:
    """Active users, newest first; with `search`, those whose username or display name
    starts with it."""
    queryset = User.objects.filter(is_active=True).only(*SUMMARY_FIELDS).order_by("-id")
    if search:
        term = search.strip().lower()
        # lower(col) LIKE 'term%': served on PostgreSQL by the text_pattern_ops indexes
        # of migration 0002.
        queryset = queryset.alias(u=Lower("username"), d=Lower("display_name")).filter(
            Q(u__startswith=term) | Q(d__startswith=term)
        )
    return queryset
