"""A status's `content`: its text as the HTML Mastodon clients render. The text is escaped;
hashtags and mentions become links, found with the parser that stored them
(tweets.parsing), so a link is exactly what Chirp counted as a hashtag or a mention."""

from collections.abc import Callable

from django.utils.html import escape

from tweets.parsing import HASHTAG_RE, MENTION_RE


def render_content(
    text: str,
    *,
    hashtags: set[str],
    mentions: dict[str, str],
    tag_url: Callable[[str], str],
) -> str:
    """`hashtags`: the tweet's tags (lower-case); `mentions`: lower-case username -> the
    account's URL, for the accounts the tweet mentions."""
    if not text:
        return ""
    links = []
    for match in HASHTAG_RE.finditer(text):
        if match.group(1).lower() in hashtags:
            links.append((match.start(), match.end(), _hashtag(match.group(1), tag_url)))
    for match in MENTION_RE.finditer(text):
        url = mentions.get(match.group(1).lower())
        if url is not None:
            links.append((match.start(), match.end(), _mention(match.group(1), url)))
    html, position = [], 0
    for start, end, link in sorted(links):
        if start < position:
            continue  # overlapping matches cannot happen, but never emit broken markup
        html.append(escape(text[position:start]))
        html.append(link)
        position = end
    html.append(escape(text[position:]))
    body = "".join(html)
    paragraphs = [part.replace("\n", "<br />") for part in body.split("\n\n") if part.strip()]
    return "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)


def _hashtag(name: str, tag_url: Callable[[str], str]) -> str:
    url = escape(tag_url(name.lower()))
    return f'<a href="{url}" class="mention hashtag" rel="tag">#<span>{escape(name)}</span></a>'


def _mention(username: str, url: str) -> str:
    return (
        f'<span class="h-card"><a href="{escape(url)}" class="u-url mention">'
        f"@<span>{escape(username)}</span></a></span>"
    )
