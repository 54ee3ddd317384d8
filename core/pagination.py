"""Cursor pagination for every list: DRF's `CursorPagination`, walked by a unique key.

A list is in its selector's order (`order_by`), which ends in a unique column, so every item
has a unique key: its values of the ordering's columns (`-id`: the id; conversations: the
last message's time, then the id). A cursor is DRF's (base64 of `p=<key>`, plus `r=1` for
`previous`): it names the item the walk starts beyond, and the walk takes the rows strictly
beyond it (`keyset`). DRF's offsets are never needed, since no two items share a key. So:
- following `next` never repeats or skips an item, even while rows arrive or go;
- the first page carries a `previous` link that returns what arrived since, newest first
  (pull-to-refresh); when nothing did, the answer keeps the same `previous` to poll again;
- `?page_size=` defaults to 20 and is capped at 100; anything but a whole number from 1 is a
  400 (`invalid_page_size`).
A cursor is opaque to clients: one we did not issue is a 400 (`invalid_cursor`), never a 500.

The newsfeed merges two sources rather than reading one queryset: it pages its tweet ids
with `paginate_keys` and walks each source with `keyset`.
"""

import operator
from base64 import b64decode
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import reduce
from typing import Any
from urllib import parse

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone
from rest_framework import pagination
from rest_framework.pagination import Cursor
from rest_framework.request import Request
from rest_framework.response import Response

from core.exceptions import ApplicationError

__all__ = ["Cursor", "CursorPagination", "InvalidCursor", "keyset"]

Key = tuple[Any, ...]


class InvalidCursor(ApplicationError):
    default_code = "invalid_cursor"
    default_detail = "The pagination cursor is invalid."


class InvalidPageSize(ApplicationError):
    default_code = "invalid_page_size"
    default_detail = "page_size must be a whole number from 1."


def _value(row: Any, name: str) -> Any:
    """A column of a row: a model instance, or a dict (a queryset's `values()`)."""
    return row[name] if isinstance(row, dict) else getattr(row, name)


def keyset(queryset: QuerySet, ordering: Sequence[str], cursor: Cursor | None) -> QuerySet:
    """`queryset` as a walk from `cursor` in list order (`ordering`: "col" or "-col", the
    last column unique): the rows strictly beyond the cursor's key, or for a reverse cursor
    (`previous`) the rows strictly before it, nearest first. Slice it to a page."""
    reverse = cursor is not None and cursor.reverse
    walk = [_flip(column) for column in ordering] if reverse else list(ordering)
    queryset = queryset.order_by(*walk)
    if cursor is None:
        return queryset
    # (a, b) beyond (A, B): a beyond A, or a = A and b beyond B.
    beyond = []
    for index, column in enumerate(walk):
        name = column.removeprefix("-")
        equal = {walk[i].removeprefix("-"): cursor.position[i] for i in range(index)}
        lookup = "lt" if column.startswith("-") else "gt"
        beyond.append(Q(**equal, **{f"{name}__{lookup}": cursor.position[index]}))
    return queryset.filter(reduce(operator.or_, beyond))


class CursorPagination(pagination.CursorPagination):
    """The one paginator of the API (DEFAULT_PAGINATION_CLASS): DRF's cursor format, links
    and browsable-API controls, with a cursor holding the item's whole key (not DRF's first
    column plus an offset), a `previous` link from the first page, and a 400 for a bad
    cursor or page size (DRF answers 404, or ignores the page size)."""

    ordering = "-id"  # for a queryset its selector left unordered
    # page_size: REST_FRAMEWORK["PAGE_SIZE"], read by DRF's class.
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset: QuerySet, request: Request, view=None) -> list:
        ordering = self.get_ordering(request, queryset, view)
        names = [column.removeprefix("-") for column in ordering]
        self.start(request, [_field(queryset, name) for name in names])
        rows = list(keyset(queryset, ordering, self.cursor)[: self.page_size + 1])
        return self.take(rows, key=lambda row: tuple(_value(row, name) for name in names))

    def paginate_keys(
        self, fetch: Callable[[Cursor | None, int], list[int]], request: Request, view=None
    ) -> list[int]:
        """A page of unique integer keys, highest first, from a source that is not one
        queryset (the newsfeed's merge): `fetch(cursor, limit)` answers up to `limit` keys
        in walk order, as `keyset` would."""
        self.start(request, [models.PositiveBigIntegerField()])
        return self.take(fetch(self.cursor, self.page_size + 1), key=lambda key: (key,))

    def first_page(self, queryset: QuerySet, request: Request, *, url: str, size: int) -> list:
        """The first `size` items of a list served at `url` (another path than this
        request's: a tweet's detail carries its first comments), with `get_next_link()`
        pointing into that list. The request's own cursor and page size are not read."""
        ordering = self.get_ordering(request, queryset, None)
        names = [column.removeprefix("-") for column in ordering]
        self.request, self.base_url, self.page_size, self.cursor = request, url, size, None
        rows = list(keyset(queryset, ordering, None)[: size + 1])
        return self.take(rows, key=lambda row: tuple(getattr(row, name) for name in names))

    def start(self, request: Request, fields: Sequence[models.Field]) -> None:
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.page_size = self.get_page_size(request)
        self.cursor = self.decode_cursor(request)
        if self.cursor is not None:
            self.cursor = self.cursor._replace(position=_key(fields, self.cursor.position))

    def take(self, rows: list, key: Callable[[Any], Key]) -> list:
        """This page out of up to `page_size + 1` rows in walk order; sets the links' keys."""
        page = rows[: self.page_size]
        cursor = self.cursor
        if cursor is not None and cursor.reverse:
            page.reverse()
            # Walking back towards the top: `next` turns round at the page's oldest item,
            # and `previous` always goes on, from where this walk began if nothing arrived.
            self.next_key = key(page[-1]) if page else None
            self.previous_key = key(page[0]) if page else cursor.position
        else:
            self.next_key = key(page[-1]) if len(rows) > len(page) else None
            # On the first page `previous` asks for whatever is newer than its first item.
            self.previous_key = key(page[0]) if page else (cursor.position if cursor else None)
        self.page = page
        self.display_page_controls = self.next_key is not None or self.previous_key is not None
        return page

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        try:
            size = int(raw)
        except ValueError as exc:
            raise InvalidPageSize("page_size must be a whole number.") from exc
        if size < 1:
            raise InvalidPageSize("page_size must be at least 1.")
        return min(size, self.max_page_size)

    def get_ordering(self, request: Request, queryset: QuerySet, view) -> tuple[str, ...]:
        """The selector's order, whose last column is unique; else `ordering`."""
        ordering = tuple(queryset.query.order_by) or (self.ordering,)
        for column in ordering:
            # A key is read off each row by column name.
            assert isinstance(column, str) and "__" not in column, ordering
        return ordering

    def decode_cursor(self, request: Request) -> Cursor | None:
        """DRF's cursor format, strictly: `p` (the key, one value per column) and `r=1`."""
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return None
        try:
            querystring = b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
            tokens = parse.parse_qs(querystring, keep_blank_values=True, strict_parsing=True)
        except ValueError as exc:  # binascii.Error and UnicodeError included
            raise InvalidCursor() from exc
        if "p" not in tokens or not set(tokens) <= {"p", "r"} or tokens.get("r", ["1"]) != ["1"]:
            raise InvalidCursor()
        return Cursor(offset=0, reverse="r" in tokens, position=tuple(tokens["p"]))

    def get_next_link(self) -> str | None:
        return self.link(self.next_key, reverse=False)

    def get_previous_link(self) -> str | None:
        return self.link(self.previous_key, reverse=True)

    def link(self, key: Key | None, *, reverse: bool) -> str | None:
        if key is None:
            return None
        position = [_text(value) for value in key]
        return self.encode_cursor(Cursor(offset=0, reverse=reverse, position=position))

    def get_paginated_response(self, data: list) -> Response:
        return Response(
            {"results": data, "next": self.get_next_link(), "previous": self.get_previous_link()}
        )

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
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Items per page (default {self.page_size}, "
                f"max {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


def _flip(column: str) -> str:
    return column.removeprefix("-") if column.startswith("-") else f"-{column}"


def _field(queryset: QuerySet, name: str) -> models.Field:
    """The model field or annotation an ordering column names (for a relation, its key)."""
    if name in queryset.query.annotations:
        return queryset.query.annotations[name].output_field
    field = queryset.model._meta.pk if name == "pk" else queryset.model._meta.get_field(name)
    return field.target_field if field.is_relation else field


def _key(fields: Sequence[models.Field], raw: Sequence[str]) -> Key:
    """A cursor's key as values of the columns' types, or InvalidCursor: a value the column
    cannot hold (an integer beyond the database's, a naive time) is not one we issued."""
    if len(raw) != len(fields):
        raise InvalidCursor()
    values = []
    try:
        for field, text in zip(fields, raw, strict=True):
            value = field.to_python(text)
            field.run_validators(value)  # the backend's integer range among them
            if value is None or (isinstance(value, datetime) and timezone.is_naive(value)):
                raise ValidationError("no value")
            values.append(value)
    except ValidationError as exc:
        raise InvalidCursor() from exc
    return tuple(values)


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
