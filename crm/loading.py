"""Loading a record for a view: 404 when it does not exist or this user may not see it.

Not being allowed to see a record looks the same as it not existing, so ids reveal nothing.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import select

from crm import permissions
from crm.extensions import db
from crm.models import Employer, EmployerPerson, FollowUp, Participant, Trajectory, User, Vacancy
from crm.services import trajectories


def load_employer_or_404(employer_id: int, user: User) -> Employer:
    employer = db.session.get(Employer, employer_id)
    if employer is None or not permissions.can_view_employer(user, employer):
        abort(404)
    return employer


def load_follow_up_or_404(follow_up_id: int, user: User) -> FollowUp:
    follow_up = db.session.get(FollowUp, follow_up_id)
    if follow_up is None or not permissions.can_view_follow_up(user, follow_up):
        abort(404)
    return follow_up


def load_person_or_404(employer: Employer, person_id: int, user: User) -> EmployerPerson:
    """A person at this employer (whom the caller loaded): 404 for a person of another one."""
    person = db.session.get(EmployerPerson, person_id)
    if person is None or person.employer_id != employer.id or not permissions.can_view_employer_person(user, person):
        abort(404)
    return person


def load_vacancy_or_404(vacancy_id: int, user: User, *options) -> Vacancy:
    vacancy = db.session.scalar(select(Vacancy).where(Vacancy.id == vacancy_id).options(*options))
    if vacancy is None or not permissions.can_view_vacancy(user, vacancy):
        abort(404)
    return vacancy


def load_participant_or_404(participant_id: int, user: User) -> Participant:
    participant = db.session.get(Participant, participant_id)
    if participant is None or not permissions.can_view_participant(user, participant):
        abort(404)
    return participant


def load_trajectory_or_404(trajectory_id: int, user: User) -> Trajectory:
    """With what its page shows (``trajectories.get``)."""
    trajectory = trajectories.get(trajectory_id)
    if trajectory is None or not permissions.can_view_trajectory(user, trajectory):
        abort(404)
    return trajectory
