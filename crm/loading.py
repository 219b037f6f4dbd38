"""Loading a record for a view: 404 when it does not exist or this user may not see it.

Not being allowed to see a record looks the same as it not existing, so ids reveal nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort
from sqlalchemy import select

from crm import permissions
from crm.extensions import db
from crm.models import Employer, EmployerPerson, FollowUp, Participant, Trajectory, User, Vacancy
from crm.services import trajectories

T = TypeVar("T")


def _or_404(record: T | None, may_view: Callable[[User, T], bool], user: User) -> T:
    """The record, if it exists and ``user`` may see it; otherwise 404, the same for both."""
    if record is None or not may_view(user, record):
        abort(404)
    return record


def load_employer_or_404(employer_id: int, user: User) -> Employer:
    return _or_404(db.session.get(Employer, employer_id), permissions.can_view_employer, user)


def load_follow_up_or_404(follow_up_id: int, user: User) -> FollowUp:
    return _or_404(db.session.get(FollowUp, follow_up_id), permissions.can_view_follow_up, user)


def load_person_or_404(employer: Employer, person_id: int, user: User) -> EmployerPerson:
    """A person at this employer (whom the caller loaded): 404 for a person of another one."""
    person = db.session.get(EmployerPerson, person_id)
    if person is None or person.employer_id != employer.id or not permissions.can_view_employer_person(user, person):
        abort(404)
    return person


def load_vacancy_or_404(vacancy_id: int, user: User, *options) -> Vacancy:
    return _or_404(
        db.session.scalar(select(Vacancy).where(Vacancy.id == vacancy_id).options(*options)),
        permissions.can_view_vacancy,
        user,
    )


def load_participant_or_404(participant_id: int, user: User) -> Participant:
    return _or_404(db.session.get(Participant, participant_id), permissions.can_view_participant, user)


def load_trajectory_or_404(trajectory_id: int, user: User) -> Trajectory:
    """With what its page shows (``trajectories.get``)."""
    return _or_404(trajectories.get(trajectory_id), permissions.can_view_trajectory, user)
