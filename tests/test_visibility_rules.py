"""The two halves of every visibility rule agree: predicate and SQL twin, for every kind.

``crm.permissions.KINDS`` lists each kind of record a user can reach with its predicate for
one record (pages, services) and its SQL twin (lists, exports, the Logboek, mail). Here a
world with four organisations (two partnerships, one organisation in both, one in none),
every role in each of them, an inactive user, and records of every kind that fall on both
sides of each rule, is asked every question both ways: for every kind, every actor and every
record, ``can_view_<kind>(actor, record)`` must equal "the record is in
``select(id).where(visible_<kinds>_clause(actor))``". A last test changes one half of a rule
and checks that the comparison notices, so the property can fail.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crm import permissions
from crm.extensions import db
from crm.models import Delivery, FollowUp, Trajectory
from tests import factories as f

ROLES = ("admin", "coordinator", "accountmanager", "partner")
FIGURES: dict[str, list[int]] = {}  # kind -> [actors, records, checks]


def build_rule_world() -> dict[str, object]:
    """Actors and records on both sides of every rule; returns the actors by name."""
    org_a = f.OrganisationFactory(name="Gemeente A")
    org_b = f.OrganisationFactory(name="ROC B")
    org_x = f.OrganisationFactory(name="UWV X")
    org_m = f.OrganisationFactory(name="SBB M")  # in both partnerships
    org_z = f.OrganisationFactory(name="Reintegratie Z")  # in no partnership
    p1 = f.PartnershipFactory(name="P1")
    p1.members.extend([org_a, org_b, org_m])
    p2 = f.PartnershipFactory(name="P2")
    p2.members.extend([org_x, org_m])
    p3 = f.PartnershipFactory(name="P3")  # no members: nobody coordinates it

    actors = {}
    for org in (org_a, org_b, org_x, org_m, org_z):
        for role in ROLES:
            actors[f"{role}@{org.name}"] = f.UserFactory(role=role, organisation=org)
    actors["inactive coordinator@Gemeente A"] = f.UserFactory(role="coordinator", organisation=org_a, active=False)
    am_a, am_x, am_z = (actors[f"accountmanager@{o}"] for o in ("Gemeente A", "UWV X", "Reintegratie Z"))

    e1 = f.EmployerFactory(contactpersoon=am_a)
    e2 = f.EmployerFactory(contactpersoon=am_x)
    merged = f.EmployerFactory(contactpersoon=am_a)
    db.session.flush()
    merged.merged_into_id = e1.id
    for employer in (e1, e2, merged):
        f.EmployerPersonFactory(employer=employer)
    for author in (am_a, am_x, am_z):
        for visibility in ("gedeeld", "intern"):
            f.ContactFactory(employer=e1, author=author, visibility=visibility)
    v1 = f.VacancyFactory(employer=e1)
    f.VacancyFactory(employer=e2)
    f.VacancyFactory(employer=e2, status="vervuld")

    # Participants: referred by A; registered by a user of X; registered by Z; nobody's.
    p_a = f.ParticipantFactory(referring_organisation_id=org_a.id)
    p_x = f.ParticipantFactory(created_by_id=am_x.id)
    p_z = f.ParticipantFactory(created_by_id=am_z.id)
    p_none = f.ParticipantFactory()
    trajectories = [
        (p_a, p1, [(org_a, "school")]),
        (p_x, p2, [(org_x, "uwv")]),
        (p_x, p1, [(org_z, "overig")]),
        (p_z, p2, []),
        (p_none, p1, [(org_b, "school"), (org_m, "kenniscentrum")]),
        (p_none, p3, [(org_z, "school")]),
    ]
    made = []
    for participant, partnership, involved in trajectories:
        trajectory = f.TrajectoryFactory(participant=participant, employer=e1, partnership=partnership)
        for org, role in involved:
            f.TrajectoryOrganisationFactory(trajectory=trajectory, organisation=org, role=role)
        made.append(trajectory)

    follow_ups = [
        f.FollowUpFactory(owner=am_a, employer=e1),
        f.FollowUpFactory(owner=am_x, employer=None, vacancy=v1),
    ]
    for trajectory in made:
        follow_ups.append(f.FollowUpFactory(owner=am_a, employer=None, trajectory=trajectory))
    db.session.flush()

    for name, user in actors.items():
        if name.startswith(("accountmanager", "coordinator")):
            f.NotificationFactory(user_id=user.id)
    for follow_up in follow_ups:
        for user in (am_a, am_x):
            db.session.add(
                Delivery(key=f"due:{follow_up.id}:{user.id}", kind="due", user_id=user.id, follow_up_id=follow_up.id)
            )
    db.session.add(Delivery(key=f"digest:{am_a.id}", kind="digest", user_id=am_a.id))

    # An event about every record of every kind the Logboek knows, and a few odd ones.
    for name in (*permissions.NEED_TO_KNOW_EVENTS, "employer", "vacancy", "employer_contact"):
        model = permissions.KINDS[name].model
        for record_id in db.session.scalars(select(model.id)):
            f.AuditEventFactory(object_type=name, object_id=record_id, summary=f"{name} {record_id}")
    for object_type, object_id in (
        ("trajectory", None),
        ("trajectory", 999_999),
        ("user", am_a.id),
        ("pipeline", None),
    ):
        f.AuditEventFactory(object_type=object_type, object_id=object_id)
    db.session.flush()
    return actors


def disagreements(kind: permissions.Kind, actors: dict) -> tuple[list[str], int, int]:
    """Where the predicate and the SQL twin of ``kind`` answer differently, and the checks made."""
    records = db.session.scalars(select(kind.model).order_by(kind.model.id)).all()
    found, checks = [], 0
    for name, actor in actors.items():
        in_sql = set(db.session.scalars(select(kind.model.id).where(kind.clause(actor))))
        for record in records:
            checks += 1
            if kind.can_view(actor, record) != (record.id in in_sql):
                found.append(
                    f"{name} / #{record.id}: predicate {kind.can_view(actor, record)}, SQL {record.id in in_sql}"
                )
    return found, len(records), checks


@pytest.fixture
def world(session):
    return build_rule_world()


@pytest.mark.parametrize("name", sorted(permissions.KINDS))
def test_predicate_and_sql_twin_agree(world, name):
    kind = permissions.KINDS[name]
    found, records, checks = disagreements(kind, world)
    assert records >= 3, f"the world has too few {name} records to test the rule"
    assert not found, "\n".join(found)
    # both answers occur, or the comparison proves little
    answers = {
        kind.can_view(actor, record) for actor in world.values() for record in db.session.scalars(select(kind.model))
    }
    assert answers == {True, False}, f"{name}: every actor gets the same answer"
    FIGURES[name] = [len(world), records, checks]


def test_the_comparison_notices_a_changed_half(world, monkeypatch):
    """A clause that forgets the trajectory's need-to-know must be caught."""
    monkeypatch.setattr(permissions, "visible_follow_ups_clause", lambda user: FollowUp.id.is_not(None))
    kind = permissions.Kind(FollowUp, permissions.can_view_follow_up, permissions.visible_follow_ups_clause)
    found, _records, _checks = disagreements(kind, world)
    assert found
    # and a predicate that forgets it as well
    monkeypatch.setattr(permissions, "can_view_trajectory", lambda user, trajectory: True)
    kind = permissions.Kind(Trajectory, permissions.can_view_trajectory, permissions.visible_trajectories_clause)
    assert disagreements(kind, world)[0]


def test_every_kind_is_indexed():
    assert set(permissions.KINDS) == {
        "employer",
        "employer_contact",
        "contact",
        "follow_up",
        "vacancy",
        "participant",
        "trajectory",
        "notification",
        "delivery",
        "audit_event",
    }
    for name in permissions.NEED_TO_KNOW_EVENTS:
        assert name in permissions.KINDS


def test_figures(capsys):
    """Prints the agreement figures (actors x records per kind) for the closing note."""
    if FIGURES:
        with capsys.disabled():
            total = sum(c for _a, _r, c in FIGURES.values())
            parts = ", ".join(f"{k} {a}x{r}" for k, (a, r, _c) in sorted(FIGURES.items()))
            print(f"\nvisibility rules: {total} predicate/SQL checks, 0 disagreements ({parts})")
