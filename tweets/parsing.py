"""Hashtags and mentions in tweet text."""

import re
import unicodedata

# `#` then word characters (Unicode-aware), not glued to a preceding word or `&` (HTML
# entities) and with at least one letter: `#2026` is not a tag, `#café` and `#日本` are.
HASHTAG_RE = re.compile(r"(?<![\w&#])#(\w+)")
MENTION_RE = re.compile(r"(?<![A-Za-z0-9_@])@([A-Za-z0-9_]{1,30})(?![A-Za-z0-9_])")
HASHTAG_MAX_LENGTH = 100


def normalise_text(text: str) -> str:
    # NFC: "é" typed two ways is one character, and counts as one toward the 280.
    return unicodedata.normalize("NFC", text)


def parse_hashtags(text: str) -> list[str]:
    """Distinct lower-cased hashtags in order of first appearance."""
    seen: dict[str, None] = {}
    for match in HASHTAG_RE.finditer(text):
        tag = match.group(1).lower()
        if len(tag) <= HASHTAG_MAX_LENGTH and any(ch.isalpha() for ch in tag):
            seen.setdefault(tag, None)
    return list(seen)


def parse_mentions(text: str) -> list[str]:
    """Distinct lower-cased usernames mentioned, in order of first appearance."""
    seen: dict[str, None] = {}
    for match in MENTION_RE.finditer(text):
        seen.setdefault(match.group(1).lower(), None)
    return list(seen)
