"""A repair's photos: cleaned (photo_cleaning: type and size checked, resized, location
and EXIF removed), kept in the photo store, and served only to those who see the repair."""

from __future__ import annotations

from collections.abc import Iterable

from civic.errors import NotFound
from civic.photos import photo_bytes, store_photos
from civic.repair_access import repair_for
from civic.repair_models import Repair, RepairPhoto
from community.models import User
from extensions import db
from input_guard import MAX_ID


def attach_photos(repair: Repair, photos: Iterable[bytes], *, stage: str, by: User) -> None:
    """Clean each photo and keep it for ``repair`` (all or none: every photo is checked
    before one is stored; the store deletes the files of a transaction that does not
    commit).

    Raises photo_cleaning.PhotoRefused, InvalidInput (more than 4).
    """
    for stored in store_photos(photos):
        db.session.add(
            RepairPhoto(
                repair_id=repair.id,
                stage=stage,
                key=stored.key,
                width=stored.width,
                height=stored.height,
                added_by_id=by.id,
            )
        )
    db.session.flush()


def photo_for(actor: User, repair_id: int, photo_id: int) -> tuple[bytes, str]:
    """A photo's bytes and content type, for whoever sees the repair.

    Raises NotFound (the repair out of reach, the photo not its, the file gone).
    """
    repair = repair_for(actor, repair_id)
    photo = db.session.get(RepairPhoto, photo_id) if 0 < photo_id <= MAX_ID else None
    if photo is None or photo.repair_id != repair.id:
        raise NotFound()
    return photo_bytes(photo.key)
