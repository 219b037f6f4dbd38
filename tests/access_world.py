"""A realistic world for the access matrix and the fuzz tests.

Two partnerships: P1 (organisations A and B) and P2 (organisation X, involved in nothing of
P1). Users of every role in A, outsiders in X, employers, their people, contacts, follow-ups,
vacancies, a participant with a trajectory in P1 (A involved as school), a notification and a
calendar token. ``build_world`` flushes everything into the caller's session and returns the
ids, so a test can fill every URL parameter with a real record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select

from crm.extensions import db
from crm.lib.clock import today
from crm.models import (
    Ambition,
    AuditEvent,
    Contact,
    Employer,
    EmployerPerson,
    FollowUp,
    Participant,
    ProgrammePeriod,
    Trajectory,
    User,
    Vacancy,
)
from crm.models.base import utcnow
from tests import factories as f

ACTORS = (
    "anonymous",
    "admin",
    "coordinator",
    "accountmanager",
    "partner",
    "outsider_accountmanager",
    "outsider_partner",
    "outsider_coordinator",
)

ICAL_TOKEN = "icaltoken-accountmanager-0123456789abcdef"
# Texts of casework that only its involved organisations may read (see ``build_world``).
SECRET_P1 = "GEHEIM-P1 intake Sanne bespreken"
SECRET_P2 = "GEHEIM-P2 intake Fenna bespreken"


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # API tokens by client key


def build_world() -> World:
    w = World()
    org_a = f.OrganisationFactory(name="Gemeente Hengelo (test)", kind="gemeente")
    org_b = f.OrganisationFactory(name="ROC van Twente (test)", kind="roc")
    org_x = f.OrganisationFactory(name="UWV Zeeland (test)", kind="uwv")
    p1 = f.PartnershipFactory(name="Leerwerkakkoord Twente (test)")
    p1.members.extend([org_a, org_b])
    p2 = f.PartnershipFactory(name="Leerwerkakkoord Zeeland (test)")
    p2.members.append(org_x)

    for role in ("admin", "coordinator", "accountmanager", "partner"):
        w.users[role] = f.UserFactory(role=role, organisation=org_a, email=f"{role}@a.example.nl")
    for role in ("accountmanager", "partner", "coordinator"):
        w.users[f"outsider_{role}"] = f.UserFactory(role=role, organisation=org_x, email=f"{role}@x.example.nl")
    # A user in B to be the target of admin actions (deactivate, reset password).
    victim = f.UserFactory(role="accountmanager", organisation=org_b, email="doelwit@b.example.nl")
    am = w.users["accountmanager"]
    am.ical_token = ICAL_TOKEN

    employer = f.EmployerFactory(name="Metaalbedrijf Oost B.V.", contactpersoon=am)
    other_employer = f.EmployerFactory(name="Zorggroep West", contactpersoon=victim)
    person = f.EmployerPersonFactory(employer=employer, name="Ria Jansen")
    shared = f.ContactFactory(employer=employer, author=am, organisation=org_a)
    intern = f.ContactFactory(employer=employer, author=am, organisation=org_a, visibility="intern")
    follow_up = f.FollowUpFactory(owner=am, employer=employer, created_by=am)
    other_follow_up = f.FollowUpFactory(owner=victim, employer=other_employer)
    vacancy = f.VacancyFactory(employer=employer, created_by=am)
    vacancy.organisations.append(org_a)
    f.VacancyStatusChangeFactory(vacancy=vacancy)
    period = f.ProgrammePeriodFactory(name="Periode test")
    ambition = f.AmbitionFactory(partnership=p1, period=period)
    participant = f.ParticipantFactory(first_name="Sanne", last_name="de Vries", referring_organisation_id=org_b.id)
    trajectory = f.TrajectoryFactory(
        participant=participant, employer=employer, vacancy=vacancy, partnership=p1, period=period
    )
    f.TrajectoryOrganisationFactory(trajectory=trajectory, organisation=org_a, role="school")
    f.TrajectoryStatusChangeFactory(trajectory=trajectory)
    notification = f.NotificationFactory(user_id=am.id, link=f"/werkgevers/{employer.id}")
    # Casework with a marker in its texts, to prove no output shows it to whom may not see it:
    # a follow-up on the P1 trajectory (organisation A sees it, X does not), and a P2
    # trajectory in which B and X are involved (A does not see it, though B's user who owns
    # its follow-up is in A's partnership and so in A's coordinator's pipeline).
    trajectory_follow_up = f.FollowUpFactory(owner=am, employer=None, trajectory=trajectory, subject=SECRET_P1)
    other_participant = f.ParticipantFactory(first_name="Fenna", last_name="Mulder")
    p2_trajectory = f.TrajectoryFactory(participant=other_participant, employer=employer, partnership=p2)
    f.TrajectoryOrganisationFactory(trajectory=p2_trajectory, organisation=org_b, role="school")
    f.TrajectoryOrganisationFactory(trajectory=p2_trajectory, organisation=org_x, role="uwv")
    p2_follow_up = f.FollowUpFactory(
        owner=victim, employer=None, trajectory=p2_trajectory, subject=SECRET_P2, due_date=today() - timedelta(days=30)
    )
    db.session.flush()
    outsider = w.users["outsider_accountmanager"]
    for record, secret, author in ((trajectory_follow_up, SECRET_P1, am), (p2_follow_up, SECRET_P2, outsider)):
        f.AuditEventFactory(actor_id=record.owner_id, object_type="follow_up", object_id=record.id, summary=secret)
        f.AuditEventFactory(
            actor_id=author.id,
            action="transition",
            object_type="trajectory",
            object_id=record.trajectory_id,
            summary=f"statusnotitie {secret}",
        )
    db.session.flush()
    # An API client of organisation A (as a partner) with every scope, and one of X.
    from crm.models.api_clients import SCOPES
    from crm.services.api_clients import ClientData, create_client

    expires = utcnow() + timedelta(days=30)
    for key, org in (("api_client", org_a), ("outsider_api_client", org_x)):
        client, token = create_client(w.users["admin"], org, ClientData(f"Systeem {org.name}", list(SCOPES), expires))
        w.tokens[key] = token
        w.ids[key] = client.id
    db.session.flush()

    w.ids |= {
        "org_a": org_a.id,
        "org_b": org_b.id,
        "org_x": org_x.id,
        "p1": p1.id,
        "p2": p2.id,
        "victim": victim.id,
        "employer": employer.id,
        "other_employer": other_employer.id,
        "person": person.id,
        "contact": shared.id,
        "intern_contact": intern.id,
        "follow_up": follow_up.id,
        "other_follow_up": other_follow_up.id,
        "vacancy": vacancy.id,
        "period": period.id,
        "ambition": ambition.id,
        "participant": participant.id,
        "trajectory": trajectory.id,
        "notification": notification.id,
        "trajectory_follow_up": trajectory_follow_up.id,
        "p2_trajectory": p2_trajectory.id,
        "p2_follow_up": p2_follow_up.id,
    }
    for name, user in w.users.items():
        w.ids[name] = user.id
    return w


QUIET_ACTIONS = ("view", "login", "login_failed", "logout", "export", "refused", "permission_denied")


def fingerprint() -> tuple:
    """A cheap picture of what a refused POST must not change: row counts of the main tables,
    the employer/vacancy/trajectory/participant versions and the audit events that record a change."""
    s = db.session
    counts = tuple(
        s.scalar(select(func.count()).select_from(model))
        for model in (
            Employer,
            EmployerPerson,
            Contact,
            FollowUp,
            Vacancy,
            Participant,
            Trajectory,
            User,
            ProgrammePeriod,
            Ambition,
        )
    )
    versions = (
        s.scalar(select(func.sum(Employer.version))),
        s.scalar(select(func.sum(Vacancy.version))),
        s.scalar(select(func.sum(Trajectory.version))),
        s.scalar(select(func.sum(Participant.version))),
        s.scalar(select(func.count()).select_from(FollowUp).where(FollowUp.done_at.is_not(None))),
        s.scalar(select(func.count()).select_from(User).where(User.active.is_(True))),
    )
    changes = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.not_in(QUIET_ACTIONS)))
    return counts + versions + (changes,)
