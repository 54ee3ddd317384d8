"""Real image files for the tweets tests, and where the API stored them."""

import io
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


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
