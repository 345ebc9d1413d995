"""Consultations' and votes' rows of the permission table (tests/test_permissions.py).

The scene: community A (the elder's) has a building whose homes the elder and the
volunteer own; its proposals are an owners' vote open now, one both have voted in,
one under discussion (with a comment and a hidden comment) and one closed (the elder
voted, openly). B's coordinator and the other street reach none of them (404).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from civic.consultation_models import Consultation, ConsultationComment
from civic.consultation_services import (
    Proposal,
    add_comment,
    close_voting_now,
    name_to_council,
    open_consultation,
    set_comment_hidden,
)
from civic.place_models import Building, Compound, Home, HomeOwner
from civic.vote_services import cast_ballot
from community.models import utcnow
from extensions import db
from form_limits import local_today
from tests.permission_table import COORDINATORS, PEOPLE, STAFF, get, only, post

__all__ = ["BUILDERS", "READERS", "ROWS"]

HIDDEN_WORDS = "这条评论骂人被隐藏"


def _building(scene) -> Building:
    """3幢 of 桂花公寓 in community A: the elder's home and the volunteer's (a compound of
    its own: other packages' scenes build 桂花新村)."""
    people = scene.people
    compound = Compound(community_id=people["coordinator"].community_id, name="桂花公寓")
    building = Building(compound=compound, name="3幢")
    homes = [
        Home(building=building, unit="101", area_dm2=8000),
        Home(building=building, unit="201", area_dm2=9000),
        Home(building=building, unit="301", area_dm2=7000),
    ]
    db.session.add_all([compound, building, *homes])
    db.session.flush()
    db.session.add(HomeOwner(home_id=homes[0].id, member_id=people["elder"].id))
    db.session.add(HomeOwner(home_id=homes[1].id, member_id=people["volunteer"].id))
    db.session.flush()
    return building


def _proposal(scene, *, opens_in: timedelta, title: str) -> Consultation:
    now = utcnow()
    opens = now.replace(second=0, microsecond=0) + opens_in
    return open_consultation(
        scene.people["coordinator"],
        scene.people["coordinator"].community,
        Proposal(
            title=title,
            body="加装一部电梯。",
            links="",
            scope=f"building:{scene['cv_building']}",
            electorate="owners",
            matter="rebuild",
            secret=False,
            voting_opens_at=opens,
            voting_closes_at=opens + timedelta(days=7),
        ),
        today=local_today(),
        now=now,
    )


def _voted(scene) -> Consultation:
    vote = _proposal(scene, opens_in=timedelta(0), title="已投票的提案")
    for who in ("elder", "volunteer"):
        cast_ballot(scene.people[who], vote, "agree")
    return vote


def _closed(scene) -> Consultation:
    vote = _proposal(scene, opens_in=timedelta(0), title="已结束的提案")
    cast_ballot(scene.people["elder"], vote, "agree")
    close_voting_now(scene.people["coordinator"], vote)
    return vote


def _discussed(scene) -> Consultation:
    return _proposal(scene, opens_in=timedelta(days=1), title="讨论中的提案")


def _comment(scene) -> ConsultationComment:
    vote = db.session.get(Consultation, scene["cv_discussed"])
    return add_comment(scene.people["volunteer"], vote, "电梯很需要")


def _hidden_comment(scene) -> ConsultationComment:
    vote = db.session.get(Consultation, scene["cv_discussed"])
    comment = add_comment(scene.people["family"], vote, HIDDEN_WORDS)
    set_comment_hidden(scene.people["coordinator"], vote, comment.id, hidden=True, reason="骂人")
    return comment


def _seat(scene):
    return name_to_council(scene.people["coordinator"], scene.people["volunteer"])


BUILDERS: dict[str, Callable] = {
    "cv_building": _building,
    "cv_open": lambda scene: _proposal(scene, opens_in=timedelta(0), title="加装电梯"),
    "cv_voted": _voted,
    "cv_closed": _closed,
    "cv_discussed": _discussed,
    "cv_comment": _comment,
    "cv_hidden": _hidden_comment,
    "cv_seat": _seat,
}

# A's members and staff see A's proposals; B's coordinator and the other street do not.
A_SIDE = {"elder", "family", "volunteer", "provider"} | COORDINATORS
MEMBERS = {"elder", "family", "volunteer", "provider"}
OWNERS = {"elder", "volunteer"}
READERS = {HIDDEN_WORDS: COORDINATORS}


def _seen(status: int) -> dict[str, int]:
    return only(A_SIDE, status, refused=404)


def _staff_only(status: int) -> dict[str, int]:
    """The community's coordinators act; its members are refused; others learn nothing."""
    return {
        who: status if who in COORDINATORS else 403 if who in MEMBERS else 404 for who in PEOPLE
    }


def _voters_only(status: int, refused_on_side: int = 403) -> dict[str, int]:
    return {
        who: status if who in OWNERS else refused_on_side if who in A_SIDE else 404
        for who in PEOPLE
    }


ROWS = [
    get("/consultations/", only(PEOPLE, 200)),
    # the volunteer is on A's council in the scene: council members open proposals
    get("/consultations/new", only(STAFF | {"volunteer"}, 200)),
    get("/consultations/council", only(STAFF, 200)),
    get("/consultations/{cv_open}", _seen(200)),
    get("/consultations/{cv_discussed}", _seen(200)),
    get("/consultations/{cv_closed}/result", _seen(200)),
    get("/consultations/{cv_open}/result", _seen(200)),
    post(
        "/consultations/{cv_discussed}/comments",
        _seen(302),
        data=lambda scene: {"body": "我同意"},
    ),
    post(
        "/consultations/{cv_discussed}/comments/{cv_comment}/hide",
        _staff_only(302),
        data=lambda scene: {"reason": "离题"},
    ),
    post("/consultations/{cv_discussed}/comments/{cv_hidden}/show", _staff_only(302)),
    post(
        "/consultations/{cv_open}/vote",
        _voters_only(302),
        data=lambda scene: {"choice": "agree"},
    ),
    post(
        "/consultations/{cv_voted}/vote/change",
        _voters_only(302),
        data=lambda scene: {"choice": "disagree"},
    ),
    get("/consultations/{cv_open}/paper", _staff_only(200)),
    post(
        "/consultations/{cv_open}/paper",
        _staff_only(302),
        data=lambda scene: {"voter": scene["elder"], "paper_number": "12", "choice": "agree"},
    ),
    post("/consultations/{cv_discussed}/start", _staff_only(302)),
    post("/consultations/{cv_open}/close", _staff_only(302)),
    post(
        "/consultations/council/{cv_seat}/end",
        only(COORDINATORS, 302, refused=404),
    ),
]
