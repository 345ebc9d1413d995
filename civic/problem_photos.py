"""A problem's photos: cleaned (photo_cleaning), kept in the photo store, and served
only to those who may see the whole problem."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l

from civic import problem_access as access
from civic.errors import InvalidInput, NotFound
from civic.problem_models import Problem, ProblemPhoto
from community.models import User
from extensions import db
from photo_cleaning import clean_photo
from photo_store import PhotoMissing, content_type, photo_store, save_with

MAX_PHOTOS = 4


def attach_photos(problem: Problem, photos: Iterable[bytes], *, stage: str, by: User) -> None:
    """Clean each photo and keep it for ``problem`` (all of them or none: every photo is
    checked before one is stored, and the files of a transaction that does not commit
    are deleted again).

    Raises photo_cleaning.PhotoRefused, InvalidInput (more than 4).
    """
    photos = [data for data in photos if data]
    if len(photos) > MAX_PHOTOS:
        raise InvalidInput(_l("At most 4 photos."))
    cleaned = [clean_photo(data) for data in photos]
    for photo in cleaned:
        key = save_with(db.session(), photo.data, extension=photo.extension)
        db.session.add(
            ProblemPhoto(
                problem_id=problem.id,
                stage=stage,
                key=key,
                width=photo.width,
                height=photo.height,
                added_by_id=by.id,
            )
        )
    db.session.flush()


def photo_for(actor: User, problem_id: int, photo_id: int) -> tuple[bytes, str]:
    """A photo's bytes and content type, for whoever may see the whole problem.

    Raises NotFound (the problem out of reach, the photo not its, the file gone).
    """
    problem = access.visible_problem(actor, problem_id)
    photo = db.session.get(ProblemPhoto, photo_id)
    if photo is None or photo.problem_id != problem.id:
        raise NotFound()
    try:
        return photo_store().open(photo.key), content_type(photo.key)
    except PhotoMissing:
        raise NotFound() from None
