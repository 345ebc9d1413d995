"""A problem's photos: cleaned (photo_cleaning), kept in the photo store, and served
only to those who may see the whole problem."""

from __future__ import annotations

from collections.abc import Iterable

from civic import problem_access as access
from civic.errors import NotFound
from civic.photos import photo_bytes, store_photos
from civic.problem_models import Problem, ProblemPhoto
from community.models import User
from extensions import db


def attach_photos(problem: Problem, photos: Iterable[bytes], *, stage: str, by: User) -> None:
    """Clean each photo and keep it for ``problem`` (all of them or none: every photo is
    checked before one is stored, and the files of a transaction that does not commit
    are deleted again).

    Raises photo_cleaning.PhotoRefused, InvalidInput (more than 4).
    """
    for stored in store_photos(photos):
        db.session.add(
            ProblemPhoto(
                problem_id=problem.id,
                stage=stage,
                key=stored.key,
                width=stored.width,
                height=stored.height,
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
    return photo_bytes(photo.key)
