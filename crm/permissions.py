"""Who may see or change what: the one place that answers it.

Views, services, tasks and exports all ask here. The ``*_clause`` functions give the same
answer as SQL, so lists filter in the database instead of record by record.

The rules (DESIGN.md): employers, their people, vacancies and follow-ups are shared with
every user; contact notes marked *intern* stay within the author's organisation; personal
data of participants (and so their trajectories) is visible only to organisations involved
in one of their trajectories, to the organisation that referred or registered them, and to
coordinators of a partnership the trajectory counts toward.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, exists, false, or_, select, true

from crm.extensions import db
from crm.models import (
    Contact,
    Employer,
    FollowUp,
    Participant,
    Trajectory,
    TrajectoryOrganisation,
    User,
    Vacancy,
    partnership_member,
)
from crm.services.errors import PermissionDenied

if TYPE_CHECKING:
    from crm.models import Organisation, Partnership

EDITORS = ("admin", "coordinator", "accountmanager")
STEERING = ("admin", "coordinator")


def require(allowed: bool, message: str = "U heeft geen toegang tot deze actie.") -> None:
    if not allowed:
        raise PermissionDenied(message)


# --- administration -------------------------------------------------------------------


def is_admin(user: User) -> bool:
    return user.role == "admin"


def can_manage_users(user: User) -> bool:
    return is_admin(user)


def can_manage_organisations(user: User) -> bool:
    return is_admin(user)


def can_manage_programme_periods(user: User) -> bool:
    """Programme periods are shared by every partnership: admins keep them, coordinators ask."""
    return is_admin(user)


def can_view_organisation(user: User, organisation: Organisation) -> bool:
    return user.active


def can_view_partnership(user: User, partnership: Partnership) -> bool:
    return user.active


def can_view_audit_log(user: User) -> bool:
    """The searchable log: admins (everything) and coordinators (their partnerships)."""
    return user.role in STEERING


def can_review_pipeline(user: User) -> bool:
    return user.role in STEERING


# --- employers, contacts, follow-ups, vacancies: shared ---------------------------------


def can_view_employer(user: User, employer: Employer) -> bool:
    return user.active and employer.merged_into_id is None


def can_create_employer(user: User) -> bool:
    return user.role in EDITORS


def can_edit_employer(user: User, employer: Employer) -> bool:
    return user.role in EDITORS and can_view_employer(user, employer)


def can_hand_over(user: User, employer: Employer) -> bool:
    return user.role in STEERING or user.id == employer.contactpersoon_id


def can_bulk_hand_over(user: User) -> bool:
    return user.role in STEERING


def can_merge_employers(user: User) -> bool:
    return user.role in STEERING


def can_import_employers(user: User) -> bool:
    return user.role in STEERING


def can_export_employers(user: User) -> bool:
    """The (filtered) employer list as a spreadsheet: employers are shared, so every user."""
    return user.active


def can_log_contact(user: User, employer: Employer) -> bool:
    return can_view_employer(user, employer)


def can_view_contact(user: User, contact: Contact) -> bool:
    return contact.visibility == "gedeeld" or contact.organisation_id == user.organisation_id


# The *_clause functions below read only a user's ``active``, ``role`` and ``organisation_id``:
# crm.services.timeline builds its statement once per such combination (with a stand-in that
# has no other attributes, so reading more fails there).


def visible_contacts_clause(user: User) -> ColumnElement[bool]:
    return or_(Contact.visibility == "gedeeld", Contact.organisation_id == user.organisation_id)


def can_change_follow_up(user: User, follow_up: FollowUp) -> bool:
    if user.role in STEERING or follow_up.owner_id == user.id:
        return True
    return follow_up.employer is not None and follow_up.employer.contactpersoon_id == user.id


def can_view_vacancy(user: User, vacancy: Vacancy) -> bool:
    return user.active


def can_edit_vacancy(user: User, vacancy: Vacancy) -> bool:
    if user.role in EDITORS:
        return True
    return any(org.id == user.organisation_id for org in vacancy.organisations)


# --- participants and trajectories: need to know --------------------------------------
#
# Who sees a trajectory: users of an organisation involved in it (any role, partners
# included) and coordinators whose organisation is a member of the partnership it counts
# toward. Who sees a participant: whoever sees one of their trajectories, plus users of the
# organisation that referred or registered them. Nobody else, admins included (they manage
# accounts, not casework): the pages answer 404 to everyone else.


def _coordinated_partnerships(user: User):
    """The partnerships a coordinator steers: those their organisation is a member of."""
    return select(partnership_member.c.partnership_id).where(
        partnership_member.c.organisation_id == user.organisation_id
    )


def sees_partnership_trajectories(user: User) -> bool:
    """Coordinators see every trajectory of their partnerships, not only those their own
    organisation is involved in (and so those trajectories' participants)."""
    return user.role == "coordinator"


def visible_trajectories_clause(user: User) -> ColumnElement[bool]:
    """The trajectories ``user`` may see, as SQL for lists.

    Written for the planner: a partner's clause is one EXISTS (a semi-join, or an index
    lookup per row for a short list); a coordinator's is an OR of two uncorrelated IN
    subqueries, each hashed once per query (an OR over a correlated EXISTS makes PostgreSQL
    estimate costs so high that its JIT compiler spends more time than the query)."""
    if not user.active:
        return false()
    if sees_partnership_trajectories(user):
        return or_(
            Trajectory.partnership_id.in_(_coordinated_partnerships(user)),
            Trajectory.id.in_(
                select(TrajectoryOrganisation.trajectory_id).where(
                    TrajectoryOrganisation.organisation_id == user.organisation_id
                )
            ),
        )
    return exists().where(
        TrajectoryOrganisation.trajectory_id == Trajectory.id,
        TrajectoryOrganisation.organisation_id == user.organisation_id,
    )


def visible_participants_clause(user: User) -> ColumnElement[bool]:
    """The participants ``user`` may see, as SQL for lists (uncorrelated IN subqueries)."""
    if not user.active:
        return false()
    return or_(
        Participant.id.in_(select(Trajectory.participant_id).where(visible_trajectories_clause(user))),
        Participant.referring_organisation_id == user.organisation_id,
        Participant.created_by_id.in_(select(User.id).where(User.organisation_id == user.organisation_id)),
    )


def _sees_trajectory_sql(user: User, trajectory_id, partnership_id) -> ColumnElement[bool]:
    """One trajectory's visibility by index lookups (for a record, not a list)."""
    involved = exists().where(
        TrajectoryOrganisation.trajectory_id == trajectory_id,
        TrajectoryOrganisation.organisation_id == user.organisation_id,
    )
    if not sees_partnership_trajectories(user):
        return involved
    coordinated = exists().where(
        partnership_member.c.partnership_id == partnership_id,
        partnership_member.c.organisation_id == user.organisation_id,
    )
    return or_(involved, coordinated)


def can_view_participant(user: User, participant: Participant) -> bool:
    if not user.active or participant.id is None:
        return False
    if participant.referring_organisation_id == user.organisation_id:
        return True
    registered = (
        exists().where(User.id == participant.created_by_id, User.organisation_id == user.organisation_id)
        if participant.created_by_id is not None
        else false()
    )
    via_trajectory = exists().where(
        Trajectory.participant_id == participant.id,
        _sees_trajectory_sql(user, Trajectory.id, Trajectory.partnership_id),
    )
    return bool(db.session.scalar(select(or_(registered, via_trajectory))))


def can_create_participant(user: User) -> bool:
    """Every partner registers candidates (DESIGN.md); the registering organisation sees them."""
    return user.active


def can_edit_participant(user: User, participant: Participant) -> bool:
    return can_view_participant(user, participant)


def can_create_trajectory(user: User, participant: Participant) -> bool:
    """For a participant one may see; the service also requires the user's own organisation
    to be involved, so the creator can see what they made."""
    return can_view_participant(user, participant)


def can_view_trajectory(user: User, trajectory: Trajectory) -> bool:
    if not user.active or trajectory.id is None:
        return False
    return bool(db.session.scalar(select(_sees_trajectory_sql(user, trajectory.id, trajectory.partnership_id))))


def can_edit_trajectory(user: User, trajectory: Trajectory) -> bool:
    """Details, status and follow-ups: everyone who may see the trajectory works on it."""
    return can_view_trajectory(user, trajectory)


# --- pipeline review and ambitions ------------------------------------------------------


def can_review_partnership(user: User, partnership: Partnership) -> bool:
    """Coordinators review the partnerships their organisation is a member of; admins all."""
    if not user.active or not can_review_pipeline(user):
        return False
    if is_admin(user):
        return True
    return bool(
        db.session.scalar(
            select(true()).where(
                partnership_member.c.partnership_id == partnership.id,
                partnership_member.c.organisation_id == user.organisation_id,
            )
        )
    )


def can_edit_ambitions(user: User, partnership: Partnership) -> bool:
    """Ambitions are set by the partnership's coordinators and by admins."""
    return can_review_partnership(user, partnership)


# --- privacy (AVG) ---------------------------------------------------------------------


def can_export_participant(user: User, participant: Participant) -> bool:
    """Right of access: a coordinator who may see the participant draws up the overview."""
    return user.role == "coordinator" and can_view_participant(user, participant)


def can_erase_participant(user: User, participant: Participant) -> bool:
    """Right to erasure: the same coordinators; it anonymises, the counts stay."""
    return user.role == "coordinator" and can_view_participant(user, participant)
