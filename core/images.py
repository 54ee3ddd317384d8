"""Untrusted image uploads: validated before decoding, re-encoded without metadata.

docs/reliability.md trap 8: only JPEG/PNG/WebP/GIF are even parsed (Pillow's `formats=`), bytes
and pixels are capped before the pixel data is decoded (decompression bombs), and what we
store is a fresh image: no EXIF (GPS!), no ICC or comments, nothing the client smuggled in.
"""

import io
from dataclasses import dataclass

from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from core.exceptions import ApplicationError, PayloadTooLarge
from core.units import format_bytes

ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
# What each accepted format is stored as. GIF keeps its first frame as PNG: animation would
# mean re-encoding every frame, which the callers that need it can opt into later.
OUTPUT_FORMAT = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WEBP", "GIF": "PNG"}
EXTENSION = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}

# Work is proportional to pixels, and an image can declare far more pixels than its bytes
# carry: a 4.4 KB 1-bit PNG declares 6000x6000, and converting, scaling and re-encoding them
# took seconds of CPU per image. Photos carry a few pixels per byte, a flat-colour JPEG
# about 64; only near-blank images and bombs go beyond 256. So beyond FREE_PIXELS (cheap
# whatever their size), an image may declare at most MAX_PIXELS_PER_BYTE pixels per byte of
# file, checked from the header before any pixel is decoded.
FREE_PIXELS = 4_000_000
MAX_PIXELS_PER_BYTE = 256


class InvalidImage(ApplicationError):
    default_code = "invalid_image"
    default_detail = "Upload a valid JPEG, PNG, GIF or WebP image."


class ImageTooLarge(PayloadTooLarge):
    default_code = "image_too_large"
    default_detail = "The image is too large."


@dataclass(frozen=True)
class ProcessedImage:
    content: ContentFile
    width: int
    height: int
    format: str

    @property
    def extension(self) -> str:
        return EXTENSION[self.format]


def process_image(upload, *, max_bytes: int, max_pixels: int, max_side: int | None = None):
    """Validate `upload` (a Django UploadedFile or file object) and return a clean re-encoding.

    Raises ImageTooLarge (413) over `max_bytes` or `max_pixels`, InvalidImage (400) for
    anything that is not a decodable image in an allowed format, or that declares more
    pixels than its size allows (MAX_PIXELS_PER_BYTE).
    """
    size = getattr(upload, "size", None)
    if size is None:
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
    if size > max_bytes:
        raise ImageTooLarge(f"Images may be at most {format_bytes(max_bytes)}.")
    if size == 0:
        raise InvalidImage("The file is empty.")
    upload.seek(0)
    try:
        # open() reads only the header: dimensions are known before any pixel is decoded.
        with Image.open(upload, formats=ALLOWED_FORMATS) as source:
            width, height = source.size
            if width * height > max_pixels:
                raise ImageTooLarge(f"Images may have at most {max_pixels:,} pixels.")
            if width * height > max(FREE_PIXELS, size * MAX_PIXELS_PER_BYTE):
                raise InvalidImage(
                    f"The image declares {width * height:,} pixels in {format_bytes(size)}: "
                    f"beyond {FREE_PIXELS:,} pixels, images may have at most "
                    f"{MAX_PIXELS_PER_BYTE} pixels per byte."
                )
            source_format = source.format
            source.seek(0)
            source.load()
            image = ImageOps.exif_transpose(source)
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"Images may have at most {max_pixels:,} pixels.") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InvalidImage() from exc

    out_format = OUTPUT_FORMAT[source_format]
    if out_format == "JPEG":
        image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    if max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)

    # A fresh image carries pixels only; the source's info (EXIF, ICC, comments) stays behind.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    buffer = io.BytesIO()
    save_options = {"JPEG": {"quality": 85, "optimize": True}, "WEBP": {"quality": 85}}
    clean.save(buffer, format=out_format, **save_options.get(out_format, {}))
    return ProcessedImage(ContentFile(buffer.getvalue()), clean.width, clean.height, out_format)
