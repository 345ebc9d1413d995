"""The checks in person before a childcare (托育) or meal (助餐) provider may take bookings.

Children and elders' meals are where a careless approval hurts most, so a coordinator
verifying (or reinstating) a provider of either kind types the licence number as read on
the licence and ticks each point of a checklist: the licence seen, the staff's health
certificates seen, the premises checked. The checks are recorded with the decision (a
ProviderCheck row, and the audit entry of the decision). Housekeeping alone needs none;
refusing or suspending never does.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from community.models import User
from extensions import db
from marketplace.errors import InvalidInput
from marketplace.models import Provider, ProviderCheck, ServiceCategory

CHECKED_CATEGORIES = frozenset({ServiceCategory.CHILDCARE, ServiceCategory.MEALS})
LICENCE_MIN, LICENCE_MAX = 4, 40
# As printed on Chinese licences and filings: letters and digits (a credit code, "JY…"),
# Chinese characters ("苏托备2026-031"), spaces, hyphens, slashes, brackets and dots.
LICENCE_RE = re.compile(r"[0-9A-Za-z\u4e00-\u9fff \-/().]+")


@dataclass(frozen=True, slots=True)
class ProviderChecks:
    """What the coordinator entered: the licence number and the checklist's three ticks."""

    licence_number: str = ""
    licence_seen: bool = False
    health_certificates_seen: bool = False
    premises_checked: bool = False

    @property
    def is_empty(self) -> bool:
        return not (
            self.licence_number.strip()
            or self.licence_seen
            or self.health_certificates_seen
            or self.premises_checked
        )


def needs_checks(provider: Provider) -> bool:
    """True if making ``provider`` bookable needs the licence number and the checklist:
    it offers childcare or meals."""
    return bool(CHECKED_CATEGORIES & set(provider.category_codes))


def clean_licence_number(raw: str | None) -> str:
    """The licence number as stored: full-width letters and digits made plain, spaces
    collapsed. Raises InvalidInput for an empty, too long or unreadable one."""
    text = " ".join(unicodedata.normalize("NFKC", raw or "").split())
    if not text:
        raise InvalidInput(_l("Enter the licence number as printed on the licence."))
    if len(text) > LICENCE_MAX or len(text) < LICENCE_MIN:
        raise InvalidInput(
            _l(
                "A licence number has %(min)s to %(max)s characters. "
                "Please type it as printed on the licence.",
                min=LICENCE_MIN,
                max=LICENCE_MAX,
            )
        )
    if not LICENCE_RE.fullmatch(text) or not any(c.isdigit() for c in text):
        raise InvalidInput(
            _l(
                "A licence number has digits, and may have letters, Chinese characters, "
                "spaces, hyphens, slashes and brackets. Please type it as printed on the licence."
            )
        )
    return text


def clean_checks(provider: Provider, checks: ProviderChecks | None) -> ProviderChecks | None:
    """The checks to record when ``provider`` is made bookable, or None if it needs none and
    none were entered. Raises InvalidInput for a missing or bad licence number, or a
    checklist not wholly ticked, where they are needed (or entered)."""
    if checks is None or checks.is_empty:
        if not needs_checks(provider):
            return None
        raise InvalidInput(
            _l(
                "A childcare or meal provider is verified only after checking in person: "
                "enter the licence number and tick all three checks."
            )
        )
    number = clean_licence_number(checks.licence_number)
    if not (checks.licence_seen and checks.health_certificates_seen and checks.premises_checked):
        raise InvalidInput(
            _l(
                "Tick all three checks (licence seen, staff health certificates seen, "
                "premises checked) once you have done them. If one fails, turn the "
                "application down with the reason."
            )
        )
    return ProviderChecks(number, True, True, True)


def record_check(
    provider: Provider, checks: ProviderChecks, *, by: User, decision: str
) -> ProviderCheck:
    """Write the checks (already cleaned) made before ``decision`` on ``provider``."""
    row = ProviderCheck(
        provider_id=provider.id, checked_by_id=by.id, decision=decision, **asdict(checks)
    )
    db.session.add(row)
    db.session.flush()
    return row


def audit_facts(checks: ProviderChecks | None) -> dict:
    """The checks as the audit log keeps them with the decision (nothing if none)."""
    return asdict(checks) if checks is not None else {}


def latest_check(provider: Provider) -> ProviderCheck | None:
    """The most recent checks recorded for ``provider``, with who made them, if any."""
    return db.session.scalar(
        select(ProviderCheck)
        .where(ProviderCheck.provider_id == provider.id)
        .order_by(ProviderCheck.id.desc())
        .limit(1)
    )
