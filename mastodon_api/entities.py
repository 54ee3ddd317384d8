"""Mastodon's entities, built from Chirp's objects (docs/mastodon.md): Account, Status,
StatusEdit, MediaAttachment, Mention, Tag, Relationship, Notification, Application,
Instance.

Nothing here reads the database: the views hand in what the selectors read. Ids are
strings, times are ISO 8601 with milliseconds, as Mastodon sends them.
"""

from datetime import datetime
from urllib.parse import quote

from django.conf import settings
from django.templatetags.static import static

from mastodon_api.content import render_content

# The avatar and header of an account without one, as Mastodon serves a placeholder.
MISSING_IMAGE = "mastodon_api/missing.png"


def mastodon_time(value) -> str | None:
    """Chirp's time (a datetime, or the API's string with microseconds) with milliseconds."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value[:23] + "Z"


def mastodon_date(value) -> str | None:
    return None if value is None else value.date().isoformat()


class Links:
    """Absolute URLs for one request: Chirp's API pages stand for Mastodon's web pages
    (there is no HTML site), the instance root is where the layer is mounted."""

    def __init__(self, request, root: str) -> None:
        self.request = request
        self.root = root

    def absolute(self, path: str) -> str:
        return self.request.build_absolute_uri(path)

    def instance(self, path: str = "") -> str:
        return self.absolute(f"{self.root}/{path.lstrip('/')}")

    def account(self, username: str) -> str:
        return self.absolute(f"/api/v1/users/{username}/")

    def status(self, tweet_id) -> str:
        return self.absolute(f"/api/v1/tweets/{tweet_id}/")

    def tag(self, name: str) -> str:
        return self.absolute(f"/api/v1/tweets/?hashtag={quote(name)}")

    def media(self, url_or_name: str | None) -> str | None:
        if not url_or_name:
            return None
        if url_or_name.startswith(("http://", "https://")):
            return url_or_name
        return self.absolute(settings.MEDIA_URL + url_or_name.lstrip("/"))

    def missing_image(self) -> str:
        try:
            url = static(MISSING_IMAGE)
        except ValueError:
            # The manifest storage (DEBUG off) knows only collected files: a server started
            # without collectstatic still renders accounts, with the file's plain URL.
            url = settings.STATIC_URL + MISSING_IMAGE
        return self.absolute(url)


def account(user, links: Links) -> dict:
    avatar = links.media(user.avatar.url if user.avatar else None) or links.missing_image()
    url = links.account(user.username)
    return {
        "id": str(user.pk),
        "username": user.username,
        "acct": user.username,
        "url": url,
        "uri": url,
        "display_name": user.display_name,
        "note": render_content(user.bio, hashtags=set(), mentions={}, tag_url=links.tag),
        "avatar": avatar,
        "avatar_static": avatar,
        "header": links.missing_image(),
        "header_static": links.missing_image(),
        "locked": user.is_protected,
        "fields": [],
        "emojis": [],
        "bot": False,
        "group": False,
        "discoverable": True,
        "noindex": False,
        "indexable": False,
        "hide_collections": False,
        "created_at": mastodon_time(user.date_joined),
        "last_status_at": mastodon_date(getattr(user, "last_status_at", None)),
        "statuses_count": user.tweets_count,
        "followers_count": user.followers_count,
        "following_count": user.following_count,
    }


def credential_account(user, links: Links, *, follow_requests_count: int) -> dict:
    """The caller's own Account, with `source` (what the edit form starts from)."""
    return {
        **account(user, links),
        "source": {
            "privacy": "private" if user.is_protected else "public",
            "sensitive": False,
            "language": "",
            "note": user.bio,
            "fields": [],
            "follow_requests_count": follow_requests_count,
        },
        "role": {
            "id": "-99",
            "name": "",
            "permissions": "0",
            "color": "",
            "highlighted": False,
        },
    }


def relationship(user) -> dict:
    """From a user annotated by friendships.selectors.annotate_viewer_flags."""
    return {
        "id": str(user.pk),
        "following": user.is_following,
        "showing_reblogs": user.is_following,
        "notifying": False,
        "languages": None,
        "followed_by": user.follows_you,
        "blocking": user.is_blocking,
        "blocked_by": user.blocked_by,
        "muting": user.is_muting,
        "muting_notifications": user.is_muting,
        "requested": user.follow_requested,
        "requested_by": getattr(user, "requested_by", False),
        "domain_blocking": False,
        "endorsed": False,
        "note": "",
    }


def media_attachment(
    *, media_id, url: str, width: int, height: int, description: str, links: Links
) -> dict:
    full = links.media(url)
    size = {
        "width": width,
        "height": height,
        "size": f"{width}x{height}",
        "aspect": round(width / height, 6) if height else 1,
    }
    return {
        "id": str(media_id),
        "type": "image",
        "url": full,
        "preview_url": full,
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": {"original": size, "small": size},
        "description": description or None,
        "blurhash": None,
    }


def tag(name: str, links: Links, history: list | None = None) -> dict:
    entity = {"name": name, "url": links.tag(name)}
    if history is not None:
        entity["history"] = history
    return entity


def _str_or_none(value) -> str | None:
    return None if value is None else str(value)


def status(
    item: dict,
    accounts: dict,
    usernames: dict,
    links: Links,
    reply_authors: dict,
    viewer_id: int | None = None,
) -> dict:
    """A Status from Chirp's Tweet as TweetSerializer renders it (`item`, with the viewer's
    flags), the page's accounts by id and by lower-case username
    (mastodon_api.selectors.accounts_for, with their `pinned_tweet_id`), the authors of the
    tweets replied to ({tweet id: user id}) and the viewer's id (`pinned` is about the
    viewer's own statuses)."""
    author = accounts[item["user"]["id"]]
    original = item.get("retweet_of")
    reblog = (
        status(original, accounts, usernames, links, reply_authors, viewer_id) if original else None
    )
    mentioned = [usernames[name.lower()] for name in item["mentions"] if name.lower() in usernames]
    content = render_content(
        item["text"],
        hashtags=set(item["hashtags"]),
        mentions={user.username.lower(): links.account(user.username) for user in mentioned},
        tag_url=links.tag,
    )
    photos = item["photos"]
    return {
        "id": str(item["id"]),
        "uri": links.status(item["id"]),
        "url": links.status(item["id"]),
        "created_at": mastodon_time(item["created_at"]),
        "edited_at": mastodon_time(item["edited_at"]),  # null until the first edit
        "account": account(author, links),
        "content": content,
        "text": None,
        "visibility": "private" if author.is_protected else "public",
        "sensitive": False,
        "spoiler_text": "",
        "media_attachments": [
            media_attachment(
                media_id=f"{item['id']}{index:02d}",
                url=photo["url"],
                width=photo["width"],
                height=photo["height"],
                description=photo.get("alt_text", ""),
                links=links,
            )
            for index, photo in enumerate(photos)
        ],
        "application": None,
        "mentions": [
            {
                "id": str(user.pk),
                "username": user.username,
                "url": links.account(user.username),
                "acct": user.username,
            }
            for user in mentioned
        ],
        "tags": [tag(name, links) for name in item["hashtags"]],
        "emojis": [],
        "reblogs_count": item["retweets_count"],
        "favourites_count": item["likes_count"],
        "replies_count": item.get("replies_count", 0),
        "in_reply_to_id": _str_or_none(item.get("in_reply_to_id")),
        "in_reply_to_account_id": _str_or_none(reply_authors.get(item.get("in_reply_to_id"))),
        "reblog": reblog,
        "poll": None,
        "card": None,
        "language": None,
        "favourited": item["has_liked"],
        "reblogged": item["has_retweeted"],
        # Mastodon's `muted` is a muted conversation, which Chirp does not have.
        "muted": False,
        "bookmarked": item["is_bookmarked"],
        "pinned": author.pk == viewer_id and getattr(author, "pinned_tweet_id", None) == item["id"],
        "filtered": [],
    }


def status_edit(
    current: dict,
    *,
    text: str,
    created_at,
    mentions: dict[str, str],
    hashtags: set[str],
    links: Links,
) -> dict:
    """A StatusEdit: one text a status had since `created_at`, with the account and the
    photos of the status as it is now (`current`, its Status: an edit changes only the
    text). `mentions` and `hashtags` as render_content takes them."""
    return {
        "content": render_content(text, hashtags=hashtags, mentions=mentions, tag_url=links.tag),
        "spoiler_text": "",
        "sensitive": False,
        "created_at": mastodon_time(created_at),
        "account": current["account"],
        "media_attachments": current["media_attachments"],
        "emojis": [],
    }


def notification(item, kind: str, actor: dict, status_entity: dict | None) -> dict:
    entity = {
        "id": str(item.pk),
        "type": kind,
        "group_key": f"ungrouped-{item.pk}",
        "created_at": mastodon_time(item.created_at),
        "account": actor,
    }
    if status_entity is not None:
        entity["status"] = status_entity
    return entity


def application(app, registration, *, with_secret: str | None = None) -> dict:
    redirect_uris = app.redirect_uris.split()
    entity = {
        "id": str(app.pk),
        "name": app.name,
        "website": registration.website or None,
        "scopes": registration.scopes.split(),
        "redirect_uri": "\n".join(redirect_uris),
        "redirect_uris": redirect_uris,
        "vapid_key": "",
    }
    if with_secret is not None:
        entity.update(
            client_id=app.client_id, client_secret=with_secret, client_secret_expires_at=0
        )
    return entity
