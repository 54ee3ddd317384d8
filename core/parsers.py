"""The one JSON parser for what clients send: request bodies and WebSocket frames.

Python's json recurses once per level of nesting and raises RecursionError near the
interpreter's recursion limit (1000), which would be a 500. So nesting is counted first,
without parsing, and anything deeper than MAX_JSON_DEPTH is refused as malformed
(docs/reliability.md trap 14).
"""

import json
import re
from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils.json import strict_constant

# Far below the recursion limit, far above any honest body (ours nest two levels deep).
MAX_JSON_DEPTH = 32

# A JSON string (skipped: brackets inside it do not nest) or a bracket.
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON `text` nests arrays and objects more than `limit` levels deep."""
    if text.count("[") + text.count("{") <= limit:
        return False  # the usual case, decided without a scan
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > limit:
                return True
        elif token in ("]", "}"):
            depth -= 1
    return False


def loads(text: str) -> Any:
    """json.loads with the nesting limit, and DRF's strict mode (NaN and Infinity are not
    JSON). Raises ValueError for anything that is not acceptable JSON."""
    if too_deep(text):
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    return json.loads(text, parse_constant=strict_constant)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with the nesting limit: a body nested too deep is a 400
    `parse_error`, like any other malformed JSON."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return loads(stream.read().decode(encoding))
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError included
            raise ParseError(f"JSON parse error - {exc}") from exc
