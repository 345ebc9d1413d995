"""The kinds of mutual-aid service and the standard time each usually takes."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from translated_labels import label


@dataclass(frozen=True)
class Category:
    code: str
    label: object  # a lazy translated string
    standard_minutes: int  # the most one visit of this kind normally takes


CATEGORIES: tuple[Category, ...] = (
    Category("meal", _l("Meal help"), 120),
    Category("bathing", _l("Bathing help"), 120),
    Category("cleaning", _l("Cleaning"), 240),
    Category("escort", _l("Escort to hospital"), 480),
    Category("errands", _l("Errands"), 180),
    Category("companionship", _l("Companionship"), 240),
    Category("haircut", _l("Haircut"), 60),
    Category("repairs", _l("Small repairs"), 240),
    Category("phone_help", _l("Smartphone help"), 120),
    Category("after_school", _l("After-school care"), 240),
)

BY_CODE: dict[str, Category] = {c.code: c for c in CATEGORIES}
LABELS: dict[str, object] = {c.code: c.label for c in CATEGORIES}


def category_choices() -> list[SelectChoice]:
    """The categories as choices for a form's select (WTForms SelectChoice), in display order."""
    from wtforms import (
        SelectChoice,  # forms are the only callers; keep the model layer free of wtforms
    )

    return [SelectChoice(c.code, c.label) for c in CATEGORIES]


def category_label(code: str) -> str:
    """The translated name of a category code (the code itself if unknown)."""
    return label(LABELS, code)
