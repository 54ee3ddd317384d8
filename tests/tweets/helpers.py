"""Expected bodies and real image files for the tweets tests."""

import io
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def iso(value) -> str | None:
    return value.strftime(DATETIME_FORMAT) if value is not None else None


def summary(user) -> dict:
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "avatar_url": None,
    }


def tweet_body(tweet, **overrides) -> dict:
    """The Tweet object of docs/api.md for a tweet without photos, as a viewer who has neither
    liked nor retweeted it sees it; `overrides` changes any key."""
    tweet.refresh_from_db()
    body = {
        "id": tweet.pk,
        "user": summary(tweet.user),
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
        "retweet_of": None,
    }
    body.update(overrides)
    return body


def comment_body(comment, **overrides) -> dict:
    comment.refresh_from_db()
    body = {
        "id": comment.pk,
        "tweet_id": comment.tweet_id,
        "user": summary(comment.user),
        "text": comment.text,
        "created_at": iso(comment.created_at),
        "likes_count": comment.likes_count,
        "has_liked": False,
    }
    body.update(overrides)
    return body


def image_bytes(fmt: str = "JPEG", size=(64, 48), mode: str = "RGB", **save) -> bytes:
    """A real, decodable image: a gradient, so encoders cannot squeeze it to nothing."""
    image = Image.new(mode, size)
    if mode == "RGB":
        image.putdata(
            [
                (x * 255 // size[0], y * 255 // size[1], 128)
                for y in range(size[1])
                for x in range(size[0])
            ]
        )
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save)
    return buffer.getvalue()


EXTENSIONS = {
    "JPEG": "jpg",
    "PNG": "png",
    "GIF": "gif",
    "WEBP": "webp",
    "BMP": "bmp",
    "TIFF": "tif",
}
CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


def image_upload(fmt: str = "JPEG", name: str | None = None, **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name or f"photo.{EXTENSIONS[fmt]}",
        image_bytes(fmt, **kwargs),
        content_type=CONTENT_TYPES.get(fmt, "application/octet-stream"),
    )


def media_files() -> list[Path]:
    """Every file under MEDIA_ROOT (each test has its own, see tests/conftest.py)."""
    root = Path(settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def stored_path(url: str) -> Path:
    """The file behind a photo URL from the API."""
    relative = url.split(settings.MEDIA_URL, 1)[1]
    return Path(settings.MEDIA_ROOT) / relative
