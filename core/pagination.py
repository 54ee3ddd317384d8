"""Keyset ("cursor") pagination over one unique, monotonic integer column.

Every list in the API is ordered by a unique key (an auto-increment id, which also follows
creation time), so a cursor is simply "items after key K" or "items before key K":
- following `next` never repeats or skips an item, even while new rows arrive;
- the first page carries a `previous` link that returns what arrived since (pull-to-refresh);
- `?page_size=` defaults to 20 and is capped at 100.

A cursor is opaque to clients (URL-safe base64). A tampered cursor is a 400, never a 500.
"""

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from rest_framework import pagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.exceptions import ApplicationError

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_KEY = 2**63 - 1


class InvalidCursor(ApplicationError):
    default_code = "invalid_cursor"
    default_detail = "The pagination cursor is invalid."


@dataclass(frozen=True)
class Cursor:
    direction: str  # "next": keys beyond `key` in list order; "prev": keys before it
    key: int

    def encode(self) -> str:
        raw = f"{self.direction[0]}:{self.key}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str) -> "Cursor":
        try:
            padded = value + "=" * (-len(value) % 4)
            direction, raw_key = base64.urlsafe_b64decode(padded.encode()).decode().split(":")
            key = int(raw_key)
            # Keys are bigint ids: anything else was not issued by us (and would overflow
            # the database's integers or the Redis feed's scores).
            if not 0 <= key <= MAX_KEY:
                raise ValueError(key)
            return cls({"n": "next", "p": "prev"}[direction], key)
        except (ValueError, KeyError, binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidCursor() from exc


def page_size_from(request: Request) -> int:
    raw = request.query_params.get("page_size")
    if raw in (None, ""):
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError as exc:
        raise ApplicationError(
            "page_size must be a whole number.", code="invalid_page_size"
        ) from exc
    if size < 1:
        raise ApplicationError("page_size must be at least 1.", code="invalid_page_size")
    return min(size, MAX_PAGE_SIZE)


def cursor_from(request: Request, param: str = "cursor") -> Cursor | None:
    raw = request.query_params.get(param)
    return Cursor.decode(raw) if raw else None


@dataclass
class Page:
    items: list
    next_key: int | None  # key for the `next` link, None when this is the last page
    prev_key: int | None  # key for the `previous` link, None when the page is empty


def paginate_keys(
    fetch: Callable[[int | None, int | None, bool, int], Sequence[Any]],
    key_of: Callable[[Any], int],
    cursor: Cursor | None,
    page_size: int,
) -> Page:
    """Page through any ordered source, given `fetch(after, before, reverse, limit)`.

    `fetch` returns up to `limit` items in list order whose key is strictly beyond `after`
    and strictly before `before` (either bound may be None); with `reverse` it walks from
    the `before` end instead (used for `previous`). Shared by querysets and the Redis feed.
    """
    if cursor is None or cursor.direction == "next":
        after = cursor.key if cursor else None
        rows = list(fetch(after, None, False, page_size + 1))
        items = rows[:page_size]
        next_key = key_of(items[-1]) if len(rows) > page_size else None
        prev_key = key_of(items[0]) if items else (cursor.key if cursor else None)
        # On a later page `previous` walks back towards the first; on the first page it
        # asks for whatever is newer than the newest item (pull-to-refresh).
        return Page(items, next_key, prev_key)
    rows = list(fetch(None, cursor.key, True, page_size))
    items = list(reversed(rows))
    prev_key = key_of(items[0]) if items else cursor.key
    next_key = key_of(items[-1]) if items else None
    return Page(items, next_key, prev_key)


def queryset_fetch(queryset: QuerySet, field: str, descending: bool) -> Callable:
    """A `fetch` for paginate_keys over a queryset ordered by one unique integer field."""

    def fetch(after: int | None, before: int | None, reverse: bool, limit: int) -> list:
        qs = queryset
        beyond, short = ("lt", "gt") if descending else ("gt", "lt")
        if after is not None:
            qs = qs.filter(**{f"{field}__{beyond}": after})
        if before is not None:
            qs = qs.filter(**{f"{field}__{short}": before})
        walk_descending = descending != reverse
        qs = qs.order_by(f"-{field}" if walk_descending else field)
        return list(qs[:limit])

    return fetch


class CursorPagination(pagination.BasePagination):
    """DRF pagination class: `ordering` names the unique key; "-id" is newest first."""

    ordering = "-id"
    page_size = DEFAULT_PAGE_SIZE
    cursor_query_param = "cursor"

    def paginate_queryset(self, queryset: QuerySet, request: Request, view=None) -> list:
        ordering = getattr(view, "cursor_ordering", self.ordering)
        descending = ordering.startswith("-")
        field = ordering.lstrip("-")
        self.request = request
        page = paginate_keys(
            queryset_fetch(queryset, field, descending),
            key_of=lambda obj: getattr(obj, field),
            cursor=cursor_from(request, self.cursor_query_param),
            page_size=page_size_from(request),
        )
        self.page = page
        return page.items

    def respond(self, request: Request, page: Page, data: list) -> Response:
        """The paginated response for a page built elsewhere (e.g. the newsfeed's merge)."""
        self.request, self.page = request, page
        return self.get_paginated_response(data)

    def get_paginated_response(self, data: list) -> Response:
        return Response(self.envelope(data))

    def envelope(self, data: list) -> dict:
        return {
            "results": data,
            "next": self.link("next", self.page.next_key),
            "previous": self.link("prev", self.page.prev_key),
        }

    def link(self, direction: str, key: int | None) -> str | None:
        if key is None:
            return None
        url = self.request.build_absolute_uri()
        url = remove_query_param(url, self.cursor_query_param)
        return replace_query_param(url, self.cursor_query_param, Cursor(direction, key).encode())

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["results", "next", "previous"],
            "properties": {
                "results": schema,
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque cursor from a `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "description": f"Items per page (default {DEFAULT_PAGE_SIZE}, "
                f"max {MAX_PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]
