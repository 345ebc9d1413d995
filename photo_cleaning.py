"""Checking and cleaning an uploaded photo before it is stored.

Only real images are taken (JPEG, PNG or WebP, by their content, never by their name),
of at most 10 MB and 30 million pixels; the pixel count is read from the header and a
picture too large is refused before it is decoded (a small file can unpack into
gigabytes: a decompression bomb). What is kept is a new picture: turned the way the
camera meant (EXIF orientation applied), no longer than 1600 px on its longest edge,
and encoded afresh, so that no EXIF data, GPS location or comment of the original
survives.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from errors import DomainError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 30_000_000
MAX_EDGE = 1600
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
JPEG_QUALITY = 85


class PhotoRefused(DomainError):
    """An upload that is not a photo we keep (the message says why)."""


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    extension: str  # jpg, png or webp
    width: int
    height: int


def clean_photo(data: bytes) -> CleanPhoto:
    """The photo in ``data`` checked, turned upright, resized and re-encoded without EXIF.

    Raises PhotoRefused: empty, over 10 MB, not a JPEG/PNG/WebP image, over 30
    million pixels, or damaged.
    """
    if not data:
        raise PhotoRefused(_l("The photo is empty. Please choose a photo."))
    if len(data) > MAX_BYTES:
        raise PhotoRefused(_l("The photo is larger than 10 MB. Please choose a smaller one."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
            if image.width * image.height > MAX_PIXELS:
                raise PhotoRefused(_l("The photo has more than 30 million pixels."))
            extension = FORMATS[image.format]
            image = ImageOps.exif_transpose(image)
            image.thumbnail((MAX_EDGE, MAX_EDGE))
            return _encoded(image, extension)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRefused(
            _l("This file is not a photo. Please choose a JPEG or PNG photo.")
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise PhotoRefused(_l("This photo is damaged. Please take it again.")) from None


def _encoded(image: Image.Image, extension: str) -> CleanPhoto:
    """``image`` written afresh: pixels only, no metadata."""
    out = io.BytesIO()
    # what a writer may copy from the original: nothing but the palette's transparency
    image.info = {k: v for k, v in image.info.items() if k == "transparency"}
    if extension == "jpg":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif extension == "png":
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        image.save(out, "PNG", optimize=True)
    else:
        image.save(out, "WEBP", quality=JPEG_QUALITY)
    return CleanPhoto(out.getvalue(), extension, image.width, image.height)
