"""The demo's trajectory follow-ups are made as ``trajectories.add_follow_up`` makes them
(issue 16, finding 8): not tied to the employer, whose timeline every user sees, and owned by
someone who may see the trajectory."""

from __future__ import annotations

from sqlalchemy import select

from crm import permissions
from crm.extensions import db
from crm.models import FollowUp, Trajectory, User
from tests.test_demo import seeded  # noqa: F401 (the fixture)


def test_trajectory_follow_ups_are_not_on_the_employer(session, seeded):  # noqa: F811
    """The employer timeline lists follow-ups by ``employer_id``: none of these is there."""
    on_trajectories = db.session.scalars(select(FollowUp).where(FollowUp.trajectory_id.is_not(None))).all()
    assert len(on_trajectories) >= 3
    assert [f.id for f in on_trajectories if f.employer_id is not None] == []
    for follow_up in on_trajectories:
        owner = db.session.get(User, follow_up.owner_id)
        trajectory = db.session.get(Trajectory, follow_up.trajectory_id)
        assert permissions.can_view_trajectory(owner, trajectory), (follow_up.id, owner.name)
