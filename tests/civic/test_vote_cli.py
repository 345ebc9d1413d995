"""`flask civic verify`: clean on an honest record, exit 1 naming a tampered ballot."""

from __future__ import annotations

from sqlalchemy import text

from civic.vote_services import cast_ballot
from extensions import db

from .vote_support import during, make_block, own, propose


def test_verify_reports_a_ballot_changed_behind_the_apps_back(app, coordinator, make_member):
    block = make_block(coordinator.community, [6000, 9000])
    voters = [make_member("业主甲"), make_member("业主乙")]
    for home, voter in zip(block.homes, voters, strict=True):
        own(home, voter)
    vote = propose(coordinator, f"building:{block.building.id}")
    for voter in voters:
        cast_ballot(voter, vote, "agree", now=during(vote))
    db.session.commit()
    runner = app.test_cli_runner()

    honest = runner.invoke(args=["civic", "verify"])
    assert honest.exit_code == 0, honest.output
    assert "ok: 1 consultations, 2 ballots" in honest.output

    db.session.execute(text("UPDATE civic_ballots SET choice = 'disagree' WHERE seq = 1"))
    db.session.commit()
    tampered = runner.invoke(args=["civic", "verify"])
    assert tampered.exit_code == 1
    assert f"consultation {vote.id}: ballot 1 was changed" in tampered.output

    db.session.execute(text("UPDATE civic_ballots SET choice = 'agree' WHERE seq = 1"))
    db.session.execute(text("DELETE FROM civic_ballots WHERE seq = 2"))
    db.session.commit()
    removed = runner.invoke(args=["civic", "verify"])
    assert removed.exit_code == 1
    assert "removed" in removed.output
