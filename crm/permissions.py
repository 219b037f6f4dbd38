"""Who may see or change what: the one place that answers it.

Views, services, tasks and exports all ask here. Every kind of record a user can reach has a
predicate for one record (``can_view_<kind>``) and its SQL twin for lists
(``visible_<kinds>_clause``); ``KINDS`` names the pairs, and tests/test_visibility_rules.py
proves for every kind, actor and record of a test world that the two halves agree. Every
output that shows a record (page, list, search, drill-down, export, Logboek, e-mail, feed,
notification, report) filters through its kind's rule, so nobody sees more anywhere than on
the record's own page; a hidden record answers 404 on every method.

The rules (DESIGN.md): employers, their people, vacancies and follow-ups are shared with
every user; contact notes marked *intern* stay within the author's organisation; personal
data of participants (and so their trajectories) is visible only to organisations involved
in one of their trajectories, to the organisation that referred or registered them, and to
coordinators of a partnership the trajectory counts toward. A follow-up is visible (and
changeable) as what it hangs on: on a trajectory it is need-to-know like the trajectory.

The admin's place: the functional admin manages organisations, partnerships, users,
programme periods and imports. Seeing casework (participants, trajectories, their
follow-ups, and the Logboek's events about them) needs the same involvement as anyone else;
the admin's Logboek holds every other event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from crm.extensions import db
from crm.models import (
    ApiClient,
    AuditEvent,
    Contact,
    Delivery,
    Employer,
    EmployerPerson,
    FollowUp,
    Notification,
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
# Who may be an employer's contactpersoon (the one person who speaks for all partners).
CONTACTPERSOON_ROLES = ("accountmanager", "coordinator")


def require(allowed: bool, message: str | None = None) -> None:
    """Refuse with ``message`` (translated by the caller) or the general one."""
    if not allowed:
        raise PermissionDenied(message or _("U heeft geen toegang tot deze actie."))


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


def can_manage_mail(user: User) -> bool:
    """The overview of mail that could not be delivered, and sending it again. It shows who,
    what kind, when and why it failed, never the message (which may be about casework)."""
    return is_admin(user)


def can_manage_api_clients(user: User, organisation: Organisation) -> bool:
    """API clients (a partner system's tokens): the admin for every organisation, a
    coordinator for their own organisation. Never through the API itself."""
    if not user.active or user.is_service_account:
        return False
    return is_admin(user) or (is_coordinator(user) and user.organisation_id == organisation.id)


def can_view_api_client(user: User, client: ApiClient) -> bool:
    return can_manage_api_clients(user, client.organisation)


def visible_api_clients_clause(user: User) -> ColumnElement[bool]:
    """The twin of ``can_view_api_client`` for the list of clients."""
    if not user.active or user.is_service_account:
        return false()
    if is_admin(user):
        return true()
    if is_coordinator(user):
        return ApiClient.organisation_id == user.organisation_id
    return false()


def can_view_organisation(user: User, organisation: Organisation) -> bool:
    return user.active


def can_view_partnership(user: User, partnership: Partnership) -> bool:
    return user.active


def can_view_audit_log(user: User) -> bool:
    """The searchable log: admins (everything) and coordinators (their partnerships)."""
    return user.role in STEERING


def can_review_pipeline(user: User) -> bool:
    return user.role in STEERING


# --- employers, their people, contacts, follow-ups, vacancies: shared ----------------------
#
# The *_clause functions read only a user's ``active``, ``role``, ``id`` and
# ``organisation_id``: crm.services.timeline builds its statement once per such combination
# (with a stand-in that has no other attributes, so reading more fails there).


def _active(user: User) -> ColumnElement[bool]:
    return true() if user.active else false()


def can_view_employer(user: User, employer: Employer) -> bool:
    """Every active user, for every employer that was not merged into another."""
    return user.active and employer.merged_into_id is None


def visible_employers_clause(user: User) -> ColumnElement[bool]:
    return and_(_active(user), Employer.merged_into_id.is_(None))


def can_create_employer(user: User) -> bool:
    return user.role in EDITORS


def can_edit_employer(user: User, employer: Employer) -> bool:
    return user.role in EDITORS and can_view_employer(user, employer)


def can_be_contactpersoon(user: User) -> bool:
    """Active account managers and coordinators; never an API client's principal (a system
    cannot speak for all partners to an employer)."""
    return user.active and user.role in CONTACTPERSOON_ROLES and not user.is_service_account


def contactpersoon_candidates_clause() -> ColumnElement[bool]:
    """The users who may be a contactpersoon, as SQL (the twin of ``can_be_contactpersoon``)."""
    return and_(User.active.is_(True), User.role.in_(CONTACTPERSOON_ROLES), User.is_service_account.is_(False))


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


def can_view_employer_person(user: User, person: EmployerPerson) -> bool:
    """A person at the employer is seen with the employer."""
    return can_view_employer(user, person.employer)


def visible_employer_people_clause(user: User) -> ColumnElement[bool]:
    return EmployerPerson.employer_id.in_(select(Employer.id).where(visible_employers_clause(user)))


def can_log_contact(user: User, employer: Employer) -> bool:
    return can_view_employer(user, employer)


def can_view_contact(user: User, contact: Contact) -> bool:
    """Shared notes for every user; *intern* ones within the author's organisation."""
    return user.active and (contact.visibility == "gedeeld" or contact.organisation_id == user.organisation_id)


def visible_contacts_clause(user: User) -> ColumnElement[bool]:
    return and_(_active(user), or_(Contact.visibility == "gedeeld", Contact.organisation_id == user.organisation_id))


def can_view_follow_up(user: User, follow_up: FollowUp) -> bool:
    """As what it hangs on: shared, but on a trajectory need-to-know like the trajectory."""
    if not user.active:
        return False
    if follow_up.trajectory_id is None:
        return True
    trajectory = follow_up.trajectory or db.session.get(Trajectory, follow_up.trajectory_id)
    return trajectory is not None and can_view_trajectory(user, trajectory)


def visible_follow_ups_clause(user: User) -> ColumnElement[bool]:
    """The twin of ``can_view_follow_up``. For a partner the trajectory's rule is one
    correlated EXISTS on the follow-up's own trajectory (an index lookup for the few follow-ups
    on a trajectory), not ``IN`` the set of every trajectory the organisation may see, which
    PostgreSQL builds in full (tens of thousands of ids) for each query; a coordinator's rule
    stays the hashed ``IN`` (``visible_trajectories_clause`` says why)."""
    if not user.active:
        return false()
    on_trajectory: ColumnElement[bool]
    if sees_partnership_trajectories(user):
        on_trajectory = FollowUp.trajectory_id.in_(select(Trajectory.id).where(visible_trajectories_clause(user)))
    else:
        on_trajectory = exists().where(
            TrajectoryOrganisation.trajectory_id == FollowUp.trajectory_id,
            TrajectoryOrganisation.organisation_id == user.organisation_id,
        )
    return or_(FollowUp.trajectory_id.is_(None), on_trajectory)


def can_change_follow_up(user: User, follow_up: FollowUp) -> bool:
    """Done or rescheduled by its owner, the employer's contactpersoon or steering, among
    those who may see it (the view answers 404 to the others: ``can_view_follow_up``)."""
    if not can_view_follow_up(user, follow_up):
        return False
    if user.role in STEERING or follow_up.owner_id == user.id:
        return True
    return follow_up.employer is not None and follow_up.employer.contactpersoon_id == user.id


def can_view_vacancy(user: User, vacancy: Vacancy) -> bool:
    return user.active


def visible_vacancies_clause(user: User) -> ColumnElement[bool]:
    return _active(user)


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


def is_coordinator(user: User) -> bool:
    """Coordinators steer the partnerships their organisation is a member of: they see those
    partnerships' trajectories, get their escalations and enter their ambitions."""
    return user.role == "coordinator"


def coordinators_clause() -> ColumnElement[bool]:
    """The twin of ``is_coordinator`` for lists of users."""
    return User.role == "coordinator"


def coordinated_partnerships(user: User):
    """The ids of the partnerships a coordinator steers (those their organisation is a member
    of), as a subquery; meaningful only when ``is_coordinator(user)``."""
    return select(partnership_member.c.partnership_id).where(
        partnership_member.c.organisation_id == user.organisation_id
    )


def coordinates(user: User, partnership_id: int | None) -> bool:
    """Whether ``user`` is a coordinator of this partnership."""
    if partnership_id is None or not is_coordinator(user):
        return False
    return bool(
        db.session.scalar(
            select(true()).where(
                partnership_member.c.partnership_id == partnership_id,
                partnership_member.c.organisation_id == user.organisation_id,
            )
        )
    )


def sees_partnership_trajectories(user: User) -> bool:
    """Coordinators see every trajectory of their partnerships, not only those their own
    organisation is involved in (and so those trajectories' participants)."""
    return is_coordinator(user)


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
            Trajectory.partnership_id.in_(coordinated_partnerships(user)),
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


# --- what a user receives or reads about records: notifications, mail, the Logboek -------


def can_view_notification(user: User, notification: Notification) -> bool:
    """A notification is its recipient's alone."""
    return user.active and notification.user_id == user.id


def visible_notifications_clause(user: User) -> ColumnElement[bool]:
    return and_(_active(user), Notification.user_id == user.id)


def can_view_delivery(user: User, delivery: Delivery) -> bool:
    """An e-mail is its recipient's, and one about a follow-up only while the recipient may
    still see that follow-up (the reminder job asks before it writes the message)."""
    if not user.active or delivery.user_id != user.id:
        return False
    if delivery.follow_up_id is None:
        return True
    follow_up = db.session.get(FollowUp, delivery.follow_up_id)
    return follow_up is not None and can_view_follow_up(user, follow_up)


def visible_deliveries_clause(user: User) -> ColumnElement[bool]:
    return and_(
        _active(user),
        Delivery.user_id == user.id,
        or_(
            Delivery.follow_up_id.is_(None),
            Delivery.follow_up_id.in_(select(FollowUp.id).where(visible_follow_ups_clause(user))),
        ),
    )


def can_view_import(user: User, owner_id: int | None) -> bool:
    """An import in progress (a folder of files, not a row: crm.services.imports.ImportStore)
    is its owner's, while the owner may still import."""
    return user.active and can_import_employers(user) and owner_id == user.id


def can_view_export(user: User, owner_id: int | None) -> bool:
    """An export job and its file (a folder, not a row: crm.services.export_jobs) are only
    for the user who asked for it: the file holds what that user may see."""
    return user.active and owner_id == user.id


# Audit events about these kinds of record are as private as the record: the Logboek, its
# export and a record's history show them only to who may see the record. Events about
# shared records (employers, vacancies, users, organisations...) are read by whoever the
# output is for (the Logboek: steering; a history page: who sees the record).
NEED_TO_KNOW_EVENTS = ("participant", "trajectory", "follow_up", "contact")


def can_view_audit_event(user: User, event: AuditEvent) -> bool:
    if not user.active:
        return False
    if event.object_type not in NEED_TO_KNOW_EVENTS:
        return True
    if event.object_id is None:
        return False
    kind = KINDS[event.object_type]
    record = db.session.get(kind.model, event.object_id)
    return record is not None and kind.can_view(user, record)


def visible_audit_events_clause(user: User) -> ColumnElement[bool]:
    about: list[ColumnElement[bool]] = [AuditEvent.object_type.not_in(NEED_TO_KNOW_EVENTS)]
    for name in NEED_TO_KNOW_EVENTS:
        kind = KINDS[name]
        about.append(
            and_(
                AuditEvent.object_type == name,
                AuditEvent.object_id.in_(select(kind.model.id).where(kind.clause(user))),
            )
        )
    return and_(_active(user), or_(*about))


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
    return is_coordinator(user) and can_view_participant(user, participant)


def can_erase_participant(user: User, participant: Participant) -> bool:
    """Right to erasure: the same coordinators; it anonymises, the counts stay."""
    return is_coordinator(user) and can_view_participant(user, participant)


# --- the rule book's index ----------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One kind of record: its model, the predicate for one record and the SQL twin for lists."""

    model: type[Any]
    can_view: Callable[[User, Any], bool]
    clause: Callable[[User], ColumnElement[bool]]


KINDS: dict[str, Kind] = {
    "employer": Kind(Employer, can_view_employer, visible_employers_clause),
    "employer_contact": Kind(EmployerPerson, can_view_employer_person, visible_employer_people_clause),
    "contact": Kind(Contact, can_view_contact, visible_contacts_clause),
    "follow_up": Kind(FollowUp, can_view_follow_up, visible_follow_ups_clause),
    "vacancy": Kind(Vacancy, can_view_vacancy, visible_vacancies_clause),
    "participant": Kind(Participant, can_view_participant, visible_participants_clause),
    "trajectory": Kind(Trajectory, can_view_trajectory, visible_trajectories_clause),
    "notification": Kind(Notification, can_view_notification, visible_notifications_clause),
    "delivery": Kind(Delivery, can_view_delivery, visible_deliveries_clause),
    "audit_event": Kind(AuditEvent, can_view_audit_event, visible_audit_events_clause),
}


def visible_clause(user: User, model: type) -> ColumnElement[bool]:
    """The SQL twin for ``model``'s records (for lists that are given a model)."""
    for kind in KINDS.values():
        if kind.model is model:
            return kind.clause(user)
    raise KeyError(model)
