"""The objects of docs/api.md as the tests expect them, built from model instances.

Tests compare whole response bodies against these, so a field added, renamed or leaked
(an email in a profile) fails loudly.
"""

from base64 import b64encode
from datetime import UTC
from typing import Any
from unittest.mock import ANY
from urllib.parse import urlencode

__all__ = [
    "ANY",
    "as_listed",
    "comment_json",
    "cursor",
    "detail_json",
    "error",
    "iso",
    "me_json",
    "page_link",
    "profile_json",
    "summary_json",
    "tweet_json",
]


def iso(moment) -> str | None:
    """A datetime as the API renders it: ISO 8601, UTC, microseconds, `Z` (None stays None)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def summary_json(user, **overrides: Any) -> dict[str, Any]:
    body = {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "avatar_url": None,
    }
    return {**body, **overrides}


def profile_json(user, **overrides: Any) -> dict[str, Any]:
    body = {
        **summary_json(user),
        "bio": user.bio,
        "location": user.location,
        "website": user.website,
        "created_at": iso(user.date_joined),
        "followers_count": user.followers_count,
        "following_count": user.following_count,
        "tweets_count": user.tweets_count,
        "is_following": False,
        "follows_you": False,
        "is_protected": user.is_protected,
        "is_blocking": False,
        "blocked_by": False,
        "is_muting": False,
        "follow_requested": False,
        "pinned_tweet": None,
    }
    return {**body, **overrides}


def me_json(user, **overrides: Any) -> dict[str, Any]:
    body = {
        **profile_json(user),
        "email": user.email,
        "email_verified": user.email_verified,
        "facebook_connected": False,
    }
    return {**body, **overrides}


def tweet_json(tweet, **overrides: Any) -> dict[str, Any]:
    """A tweet without photos, as a viewer who has neither liked nor retweeted it sees it
    (read again from the database, for its counters)."""
    tweet.refresh_from_db()
    body = {
        "id": tweet.pk,
        "user": summary_json(tweet.user),
        "text": tweet.text,
        "created_at": iso(tweet.created_at),
        "edited_at": iso(tweet.edited_at),
        "photos": [],
        "hashtags": [],
        "mentions": [],
        "likes_count": tweet.likes_count,
        "retweets_count": tweet.retweets_count,
        "comments_count": tweet.comments_count,
        "has_liked": False,
        "has_retweeted": False,
        "is_bookmarked": False,
        "retweet_of": None,
        "in_reply_to_id": tweet.in_reply_to_id,
        "conversation_id": tweet.conversation_id or tweet.pk,
        "replies_count": tweet.replies_count,
        "quote_of": None,
        "edit_count": tweet.edit_count,
    }
    return {**body, **overrides}


def detail_json(tweet, *, comments: list | tuple = (), comments_next=None, **overrides: Any):
    """GET /tweets/{id}/: the tweet (tweet_json, with `overrides`) and the first page of its
    comments (comment_json of each) with the link to the next."""
    return {
        **tweet_json(tweet, **overrides),
        "comments": list(comments),
        "comments_next": comments_next,
    }


def as_listed(detail: dict[str, Any]) -> dict[str, Any]:
    """A tweet's detail as lists show it: without its first comments."""
    return {name: value for name, value in detail.items() if name not in DETAIL_ONLY}


DETAIL_ONLY = ("comments", "comments_next")


def comment_json(comment, **overrides: Any) -> dict[str, Any]:
    comment.refresh_from_db()
    body = {
        "id": comment.pk,
        "tweet_id": comment.tweet_id,
        "user": summary_json(comment.user),
        "text": comment.text,
        "created_at": iso(comment.created_at),
        "likes_count": comment.likes_count,
        "has_liked": False,
    }
    return {**body, **overrides}


def error(code: str, detail: Any = ANY, fields: dict | None = None) -> dict[str, Any]:
    """The error envelope: {"code", "detail"} plus "fields" for validation errors."""
    body: dict[str, Any] = {"code": code, "detail": detail}
    if fields is not None:
        body["fields"] = fields
    return body


def cursor(*key: Any, reverse: bool = False) -> str:
    """A cursor as the API issues it (DRF's format): base64 of `p=<each key column>`, with
    `r=1` first for a `previous` cursor."""
    tokens = urlencode([("r", "1")] * reverse + [("p", value) for value in key])
    return b64encode(tokens.encode()).decode()


def page_link(path: str, *key: Any, reverse: bool = False, **params: Any) -> str:
    """A `next` or `previous` link as the API builds it: absolute, query parameters sorted."""
    query = urlencode(sorted({**params, "cursor": cursor(*key, reverse=reverse)}.items()))
    return f"http://testserver{path}?{query}"
