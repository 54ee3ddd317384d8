"""Mastodon's pagination: `limit`, `max_id` (older than), `since_id` (newer than, newest
first), `min_id` (newer than, the oldest of them first), and a `Link` header with the next
(older) and prev (newer) pages. The walk is core.pagination.keyset's, as for every list of
Chirp: `max_id` is a cursor going on, `min_id` one going back."""

from collections.abc import Callable
from urllib.parse import urlencode

from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import Cursor

from core.pagination import keyset

DEFAULT_LIMIT = 20
MAX_LIMIT = 40


def _id(request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if not raw.isdecimal() or len(raw) > 19:
        raise ValidationError({name: ["Must be an id."]})
    return int(raw)


class Page:
    """One page of keys (ids), newest first, and its Link header."""

    def __init__(self, request, *, max_limit: int = MAX_LIMIT) -> None:
        self.request = request
        raw = request.query_params.get("limit")
        try:
            limit = int(raw) if raw else DEFAULT_LIMIT
        except ValueError as exc:
            raise ValidationError({"limit": ["Must be a whole number."]}) from exc
        self.limit = max(1, min(limit, max_limit))
        self.max_id = _id(request, "max_id")
        self.since_id = _id(request, "since_id")
        self.min_id = _id(request, "min_id")

    @property
    def cursor(self) -> Cursor | None:
        """The walk's start: back from min_id (oldest first), else on from max_id."""
        if self.min_id is not None:
            return Cursor(offset=0, reverse=True, position=(self.min_id,))
        if self.max_id is not None:
            return Cursor(offset=0, reverse=False, position=(self.max_id,))
        return None

    def keys(self, fetch: Callable[[Cursor | None, int], list[int]]) -> list[int]:
        """Up to `limit` keys newest first from `fetch(cursor, limit)`, which answers keys in
        walk order as core.pagination.keyset does."""
        keys = fetch(self.cursor, self.limit)
        if self.min_id is not None:
            keys = sorted(keys, reverse=True)
        if self.since_id is not None:
            keys = [key for key in keys if key > self.since_id]
        if self.max_id is not None:
            keys = [key for key in keys if key < self.max_id]
        return keys[: self.limit]

    def admits(self, key: int) -> bool:
        """Whether a key belongs on this page by its ids alone (a list of one item)."""
        newer_than = max(self.since_id or 0, self.min_id or 0)
        return key > newer_than and (self.max_id is None or key < self.max_id)

    def rows(self, queryset: QuerySet, key: str = "id") -> list:
        """A page of a queryset in its selector's order (newest first by `key`)."""

        def fetch(cursor, limit):
            walked = keyset(queryset, (f"-{key}",), cursor)
            if self.since_id is not None and cursor is None:
                walked = walked.filter(**{f"{key}__gt": self.since_id})
            return list(walked[:limit])

        rows = fetch(self.cursor, self.limit)
        if self.min_id is not None:
            rows.reverse()
        self.row_keys = [getattr(row, key) for row in rows]
        return rows

    def link_header(self, keys: list[int]) -> str | None:
        if not keys:
            return None
        base = self.request.build_absolute_uri(self.request.path)
        params = {
            name: value
            for name, value in self.request.query_params.items()
            if name not in ("max_id", "since_id", "min_id")
        }
        older = urlencode({**params, "max_id": min(keys)})
        newer = urlencode({**params, "min_id": max(keys)})
        return f'<{base}?{older}>; rel="next", <{base}?{newer}>; rel="prev"'

    def respond(self, response, keys: list[int]):
        header = self.link_header(keys)
        if header:
            response["Link"] = header
        return response
