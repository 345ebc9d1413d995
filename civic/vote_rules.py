"""《民法典》 Article 278 in integers: whether an owners' vote counts and whether it passed.

Participation (参与表决): owners holding at least two thirds of the floor area AND at
least two thirds of the owners must take part. Then the matters of items 6 to 8
(raising the maintenance fund, rebuilding or altering the buildings and their
facilities — 加装电梯 is one —, changing the use of common parts) need the agreement of
owners holding at least three quarters of the participating area AND at least three
quarters of the participating owners; every other matter (using the maintenance
fund among them, item 5) needs more than half of each. Abstaining owners take part.

Every comparison is cross-multiplied: no division, no float.

A residents' vote (one resident, one vote, no area) has no legal quorum: it is the
community's consultation, and passes when more than half of those who voted agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from civic.consultation_models import THREE_QUARTERS_MATTERS, Electorate, Matter

PARTICIPATION = Fraction(2, 3)
THREE_QUARTERS = Fraction(3, 4)
HALF = Fraction(1, 2)


@dataclass(frozen=True)
class Count:
    """One measure (owners, or their area) against one threshold."""

    part: int
    whole: int
    threshold: Fraction  # the share needed
    strictly_more: bool  # "more than half" rather than "at least"

    @property
    def met(self) -> bool:
        # part / whole >= t  ⇔  part · t.denominator >= whole · t.numerator (whole ≥ 0)
        left = self.part * self.threshold.denominator
        right = self.whole * self.threshold.numerator
        if self.whole == 0:
            return False  # nobody to count: nothing is met
        return left > right if self.strictly_more else left >= right

    @property
    def percent(self) -> int:
        """The share in whole percent, rounded down (for reading only; never decides)."""
        return self.part * 100 // self.whole if self.whole else 0


@dataclass(frozen=True)
class Outcome:
    """What the counts say: each count against its threshold, and the verdict."""

    turnout_voters: Count
    turnout_area: Count | None  # owners' votes only
    agree_voters: Count
    agree_area: Count | None

    @property
    def quorate(self) -> bool:
        return self.turnout_voters.met and (self.turnout_area is None or self.turnout_area.met)

    @property
    def passed(self) -> bool:
        return (
            self.quorate
            and self.agree_voters.met
            and (self.agree_area is None or self.agree_area.met)
        )


def agreement_threshold(electorate: str, matter: str) -> tuple[Fraction, bool]:
    """The share of participants who must agree, and whether it must be exceeded."""
    if electorate == Electorate.OWNERS and Matter(matter) in THREE_QUARTERS_MATTERS:
        return THREE_QUARTERS, False
    return HALF, True


def outcome(
    *,
    electorate: str,
    matter: str,
    roll_voters: int,
    roll_area_dm2: int,
    voted: int,
    voted_area_dm2: int,
    agreed: int,
    agreed_area_dm2: int,
) -> Outcome:
    """Judge a vote from its counts (owners' votes by Article 278, residents' by majority)."""
    share, strictly = agreement_threshold(electorate, matter)
    if electorate == Electorate.OWNERS:
        return Outcome(
            turnout_voters=Count(voted, roll_voters, PARTICIPATION, False),
            turnout_area=Count(voted_area_dm2, roll_area_dm2, PARTICIPATION, False),
            agree_voters=Count(agreed, voted, share, strictly),
            agree_area=Count(agreed_area_dm2, voted_area_dm2, share, strictly),
        )
    return Outcome(
        turnout_voters=Count(voted, roll_voters, Fraction(0), False),
        turnout_area=None,
        agree_voters=Count(agreed, voted, share, strictly),
        agree_area=None,
    )
