"""Photos residents and staff attach to civic records (a problem, a repair): at most 4,
each cleaned (photo_cleaning: type and size checked, turned upright, resized, EXIF and
location removed) and kept in the photo store; read back only through the record's own
rule of who may see it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from civic.errors import InvalidInput, NotFound
from extensions import db
from photo_cleaning import clean_photo
from photo_store import PhotoMissing, content_type, photo_store, save_with

MAX_PHOTOS = 4
# A form with four photos of at most 10 MB each, and the form around them.
UPLOAD_MAX_BYTES = MAX_PHOTOS * 10 * 1024 * 1024 + 1024 * 1024


@dataclass(frozen=True)
class StoredPhoto:
    key: str
    width: int
    height: int


def store_photos(photos: Iterable[bytes]) -> list[StoredPhoto]:
    """Clean and keep the (non-empty) photos, all of them or none: every photo is checked
    before one is stored, and the files of a transaction that does not commit are
    deleted again.

    Raises photo_cleaning.PhotoRefused, InvalidInput (more than 4)."""
    photos = [data for data in photos if data]
    if len(photos) > MAX_PHOTOS:
        raise InvalidInput(_l("At most 4 photos."))
    cleaned = [clean_photo(data) for data in photos]
    return [
        StoredPhoto(
            save_with(db.session(), photo.data, extension=photo.extension),
            photo.width,
            photo.height,
        )
        for photo in cleaned
    ]


def photo_bytes(key: str) -> tuple[bytes, str]:
    """A stored photo's bytes and content type. Raises NotFound if the file is gone."""
    try:
        return photo_store().open(key), content_type(key)
    except PhotoMissing:
        raise NotFound() from None


def uploaded(field) -> list[bytes]:
    """The bytes of each file chosen in a form's file ``field`` (an empty choice sends
    none)."""
    return [upload.read() for upload in (field.data or []) if upload and upload.filename]
