"""The request boundary: what no view should ever be handed.

- An id in a URL beyond PostgreSQL's INTEGER (2**31 - 1) matches no route: 404,
  as for any id that does not exist (``IdConverter`` is the app's "int").
- ``as_id`` / ``query_id``: the same rule for ids in query strings and forms.
- Text with a NUL byte, a lone surrogate or a control character other than tab,
  newline and carriage return, anywhere in the query string, the form, the path
  or a JSON body, is refused with 400 and a message saying so, before any view
  runs (PostgreSQL cannot store NUL; no one types the rest).
- A body over MAX_CONTENT_LENGTH is refused with 413 (werkzeug raises it while
  reading, without reading the rest); a view may set a lower limit of its own
  with ``raw_body`` (Stripe's webhook: 1 MB), and a view taking photos a higher one
  with ``uploads``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, abort, current_app, request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter, ValidationError

from errors import DomainError

MAX_ID = 2**31 - 1  # PostgreSQL's INTEGER, the type of every id column
_MAX_ID_DIGITS = len(str(MAX_ID))

# C0 controls but tab, newline and carriage return; DEL; C1 controls; UTF-16 surrogates
# (a lone one arrives only through JSON escapes or a decoder told to let it pass).
UNREADABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class UnreadableInput(DomainError):
    """What was sent contains characters no one types (NUL, control characters…)."""

    http_status = 400

    def __init__(self) -> None:
        super().__init__(
            _l(
                "What you sent contains characters that cannot be read (such as invisible "
                "control characters). Please go back, type it again and send it."
            )
        )


class IdConverter(IntegerConverter):
    """``<int:…>`` in a route: ASCII digits, no larger than MAX_ID, else no match (404)."""

    regex = r"[0-9]+"  # werkzeug's \d+ also matches other scripts' digits

    def __init__(self, map, fixed_digits: int = 0, min=None, max=None, signed: bool = False):
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)

    def to_python(self, value: str) -> Any:
        if len(value) > _MAX_ID_DIGITS:  # no need to turn a thousand digits into a number
            raise ValidationError()
        return super().to_python(value)


def as_id(raw: object) -> int | None:
    """``raw`` (text from a query string or form) as an id, or None if it cannot be one."""
    text = str(raw).strip() if raw is not None else ""
    if not (text.isascii() and text.isdigit()) or len(text) > _MAX_ID_DIGITS:
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None


def query_id(name: str) -> int | None:
    """The id in ``?<name>=``: None when absent or empty; aborts with 404 when it cannot be one."""
    raw = request.args.get(name, "")
    if raw == "":
        return None
    number = as_id(raw)
    if number is None:
        abort(404)
    return number


def raw_body(max_bytes: int) -> Callable:
    """Mark a view that reads and checks its own raw body (e.g. a signed webhook).

    Its body may be at most ``max_bytes`` (413 beyond), and the text check leaves
    the body alone: the view's own verification decides what it accepts.
    """

    def mark(view: Callable) -> Callable:
        view.raw_body_max_bytes = max_bytes
        return view

    return mark


def uploads(max_bytes: int) -> Callable:
    """Mark a view that takes files (photos): its body may be up to ``max_bytes``, more
    than MAX_CONTENT_LENGTH allows other forms (413 beyond). Its text is checked as any."""

    def mark(view: Callable) -> Callable:
        view.upload_max_bytes = max_bytes
        return view

    return mark


def _json_strings() -> Iterator[str]:
    """Every string in the request's JSON body, keys included (none if it is not JSON)."""
    try:
        pending = [request.get_json(silent=True)]
    except RecursionError:  # nested deeper than any real document; no view reads it
        return
    while pending:  # a stack, not recursion: the nesting is the sender's to choose
        value = pending.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            yield from value.keys()
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)


def _submitted_text(view: Callable | None) -> Iterator[str]:
    """Every piece of text the request carries: path values, query, form, file names, JSON."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str):
            yield value
    for source in (request.args, request.form):
        for key, values in source.lists():
            yield key
            yield from values
    for key, upload in request.files.items(multi=True):
        yield key
        yield upload.filename or ""
    if request.is_json and getattr(view, "raw_body_max_bytes", None) is None:
        yield from _json_strings()


def check_request() -> None:
    """Before every view: apply the view's own body limit, then refuse unreadable text.

    Raises UnreadableInput (400); werkzeug raises RequestEntityTooLarge (413).
    """
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    limit = getattr(view, "raw_body_max_bytes", None) or getattr(view, "upload_max_bytes", None)
    if limit is not None:
        request.max_content_length = limit
    if any(UNREADABLE.search(text) for text in _submitted_text(view)):
        raise UnreadableInput()


def init_app(app: Flask) -> None:
    """Install the id converter (before any route is added) and the check before every view."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(check_request)
