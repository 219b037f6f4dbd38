"""The trajectory tallies (crm/models/tallies.py) stay equal to a fresh GROUP BY over the
trajectories, whatever changes them, in the same transaction; the rebuild command restores
them; and two transactions counting into the same tally row lose no count (PostgreSQL).

The pages' numbers against their drill-downs, now read from the tallies, are checked in
tests/test_pipeline.py.
"""

from __future__ import annotations

import random
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, insert, select, text, update

from crm.extensions import db
from crm.models import (
    Employer,
    Municipality,
    Participant,
    Trajectory,
    TrajectoryOrganisation,
    Vacancy,
    employer_tally,
    vacancy_tally,
)
from crm.models import tallies as tally_module
from crm.models.base import utcnow
from crm.services import employers, privacy, trajectories
from crm.services.errors import PermissionDenied, ServiceError
from tests.conftest import racing_app
from tests.factories import password_hash


def assert_tallies_fresh() -> None:
    connection = db.session.connection()
    stored, fresh = tally_module.stored_counts(connection), tally_module.fresh_counts(connection)
    assert set(stored) == {"trajectory_tally", "trajectory_month_tally", "trajectory_start_tally"}
    for table in stored:
        assert stored[table] == fresh[table], table
    assert employer_tally.TALLY.stored_counts(connection) == employer_tally.TALLY.fresh_counts(connection), (
        "employer_tally"
    )
    assert vacancy_tally.TALLY.stored_counts(connection) == vacancy_tally.TALLY.fresh_counts(connection), (
        "vacancy_tally"
    )


class Scene:
    pass


@pytest.fixture
def scene(factories):
    f = factories
    s = Scene()
    s.roc = f.OrganisationFactory(name="ROC Midden", kind="roc")
    s.uwv = f.OrganisationFactory(name="UWV Midden", kind="uwv")
    s.p1 = f.PartnershipFactory(name="Leerwerkakkoord Midden")
    s.p2 = f.PartnershipFactory(name="Sectorakkoord Bouw", scope="sectoraal")
    s.p1.members.extend([s.roc, s.uwv])
    s.p2.members.append(s.roc)
    s.admin = f.UserFactory(name="Ada Beheer", role="admin", organisation=s.uwv)
    s.managers = [
        f.UserFactory(name=f"Accountmanager {i}", role="accountmanager", organisation=org)
        for i, org in enumerate((s.roc, s.uwv, s.uwv))
    ]
    s.places = list(db.session.scalars(select(Municipality).order_by(Municipality.id).limit(3)))
    s.employers = [f.EmployerFactory(contactpersoon=s.managers[i % 3], municipality=s.places[i % 3]) for i in range(5)]
    s.participants = [f.ParticipantFactory(municipality_id=s.places[i % 3].id) for i in range(6)]
    db.session.flush()
    return s


def _step(rng: random.Random, s: Scene, number: int) -> str:
    """One random change of the kinds the tallies must follow; returns what it did."""
    live = list(db.session.scalars(select(Trajectory).order_by(Trajectory.id)))
    employers_live = [e for e in s.employers if e.merged_into_id is None]
    action = rng.choice(
        ["create", "create", "create", "status", "status", "start_date", "hand_over", "bulk_hand_over",
         "involvement", "merge", "erase", "move_participant", "move_employer", "delete", "employer_change"]
    )  # fmt: skip
    # Trajectory edits go through the ORM as the services do (the triggers see the statements,
    # whichever path makes them; the visibility rules of the services are tested elsewhere).
    if action == "create" or not live:
        kind = rng.choice(["duaal", "evc"])
        employer = rng.choice(employers_live) if kind == "duaal" or rng.random() < 0.5 else None
        trajectory = Trajectory(
            kind=kind,
            participant=rng.choice(s.participants),
            employer=employer,
            partnership=rng.choice([s.p1, s.p2]),
        )
        for organisation_id, role in rng.sample([(s.roc.id, "school"), (s.uwv.id, "uwv")], rng.randint(0, 2)):
            trajectory.involvements.append(TrajectoryOrganisation(organisation_id=organisation_id, role=role))
        db.session.add(trajectory)
        db.session.flush()
        return "create"
    trajectory = rng.choice(live)
    if action == "status":
        target = rng.choice(trajectories.ALLOWED_TRANSITIONS[trajectory.status] or ("aangemeld",))
        if target in ("gestart", "afgerond") and trajectory.actual_start is None:
            trajectory.actual_start = date(2025, 1, 1) + timedelta(days=rng.randint(0, 500))
        trajectory.outcome = "diploma" if target == "afgerond" else trajectory.outcome
        trajectory.dropout_reason = "verhuisd" if target == "uitgevallen" else trajectory.dropout_reason
        trajectory.status = target
    elif action == "start_date" and trajectory.status in ("aangemeld", "intake", "uitgevallen"):
        trajectory.actual_start = (
            None if rng.random() < 0.3 else date(2024, 12, 1) + timedelta(days=rng.randint(0, 600))
        )
    elif action == "involvement":
        pairs = rng.sample([(s.roc.id, "school"), (s.uwv.id, "uwv"), (s.roc.id, "kenniscentrum")], rng.randint(0, 3))
        trajectory.involvements = [TrajectoryOrganisation(organisation_id=o, role=r) for o, r in pairs]
    elif action == "employer_change" and trajectory.kind == "evc":
        trajectory.employer = None if trajectory.employer_id else rng.choice(employers_live)
    elif action == "hand_over":
        employer = rng.choice(employers_live)
        new = rng.choice([m for m in s.managers if m.id != employer.contactpersoon_id])
        employers.hand_over(s.admin, employer, new, f"Overdracht {number}")
    elif action == "bulk_hand_over":
        source, target = rng.sample(s.managers, 2)
        employers.bulk_hand_over(s.admin, source, target, f"Vertrek {number}")
    elif action == "merge" and len(employers_live) > 2:
        keep, duplicate = rng.sample(employers_live, 2)
        employers.merge(s.admin, keep, duplicate, "Dubbel")
    elif action == "erase":
        participant = rng.choice(s.participants)
        if participant.anonymised_at is None:
            # what erasure does to the records (its permission rules: tests/test_erasure.py)
            privacy._anonymise(participant)
    elif action == "move_participant":
        rng.choice(s.participants).municipality_id = rng.choice([None, *(p.id for p in s.places)])
    elif action == "move_employer":
        rng.choice(employers_live).municipality_id = rng.choice([None, *(p.id for p in s.places)])
    elif action == "delete":
        db.session.delete(trajectory)
    db.session.flush()
    return action


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_tallies_equal_a_fresh_count_after_random_changes(scene, seed):
    rng = random.Random(seed)
    done = []
    for number in range(60):
        try:
            with db.session.begin_nested():
                done.append(_step(rng, scene, number))
        except (ServiceError, PermissionDenied):
            done.append("refused")
        db.session.expire_all()
        assert_tallies_fresh()
    # the sequence did exercise the paths (a seed that only created would prove little)
    assert {"create", "status", "hand_over", "bulk_hand_over", "involvement", "merge", "erase", "delete"} <= set(
        done
    ), done
    assert db.session.scalar(select(db.func.count()).select_from(tally_module.TrajectoryTally)) > 0


def test_bulk_statements_keep_the_tallies(scene, factories):
    """Paths that bypass the ORM (imports, the seeder, a Core UPDATE) are counted too."""
    for i in range(10):
        factories.TrajectoryFactory(
            partnership=scene.p1, employer=scene.employers[i % 5], participant=scene.participants[i % 6]
        )
    db.session.flush()
    db.session.execute(update(Trajectory).values(status="intake"))
    db.session.execute(
        update(Trajectory).where(Trajectory.id % 2 == 0).values(status="gestart", actual_start=date(2025, 3, 3))
    )
    db.session.execute(update(Employer).values(contactpersoon_id=scene.managers[0].id))
    db.session.execute(update(Participant).values(municipality_id=None))
    assert_tallies_fresh()
    db.session.execute(delete(Trajectory).where(Trajectory.id % 3 == 0))
    assert_tallies_fresh()


def _reads(connection, table: str) -> int:
    """How often this transaction has read ``table`` (PostgreSQL's own counters)."""
    return connection.execute(
        text("SELECT seq_scan + coalesce(idx_scan, 0) FROM pg_stat_xact_user_tables WHERE relname = :t"), {"t": table}
    ).scalar_one()


def test_updates_that_move_no_count_read_nothing_more_after_a_bulk_update(scene, factories):
    """PL/pgSQL keeps the plan of a connection's first trigger call: after a bulk update that
    plan read every trajectory for each later one-row update of an employer (a contact logged
    stamps ``last_contact_at``). Updates that move no count now read no other table at all."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's row triggers fire only when a counted column changes")
    for i in range(40):
        factories.TrajectoryFactory(partnership=scene.p1, employer=scene.employers[i % 5])
    db.session.flush()
    connection.execute(text("DISCARD PLANS"))  # as a new connection: the next trigger call plans
    connection.execute(update(Employer).values(last_contact_at=db.func.now()))  # first a bulk update
    trajectories_read = _reads(connection, "trajectory")
    connection.execute(
        update(Employer).where(Employer.id == scene.employers[0].id).values(last_contact_at=db.func.now())
    )
    assert _reads(connection, "trajectory") == trajectories_read
    employers_read = _reads(connection, "employer")
    updated = connection.execute(
        update(Trajectory).where(Trajectory.employer_id == scene.employers[1].id).values(regeling="Subsidie")
    ).rowcount
    # at most the foreign key's check per row (made because the rows are this transaction's own)
    assert _reads(connection, "employer") - employers_read <= updated
    # a change that moves counts still moves them
    connection.execute(
        update(Employer).where(Employer.id == scene.employers[0].id).values(contactpersoon_id=scene.managers[2].id)
    )
    assert _reads(connection, "trajectory") > trajectories_read
    assert_tallies_fresh()


def test_the_employer_tally_follows_every_path_that_writes_employers(scene, factories):
    """Inserts (ORM and Core), moves, hand-overs one and in bulk, a merge, contacts (the month
    of ``last_contact_at``), bulk updates and deletes: after each, the tally equals a fresh
    count of the live employers; an update of nothing it counts leaves it as it was."""
    connection = db.session.connection()
    assert employer_tally.TALLY.stored_counts(connection)  # the scene's five employers
    late = factories.EmployerFactory(contactpersoon=scene.managers[0], municipality=None)
    db.session.flush()
    assert_tallies_fresh()
    row = dict(db.session.execute(select(Employer.__table__).where(Employer.id == late.id)).mappings().one())
    del row["id"], row["kvk_number"]
    row.update(contactpersoon_id=scene.managers[1].id, municipality_id=scene.places[0].id)
    db.session.execute(insert(Employer).values([{**row, "name": f"Import {i}"} for i in range(3)]))
    assert_tallies_fresh()
    late.municipality_id = scene.places[2].id
    db.session.flush()
    assert_tallies_fresh()
    employers.hand_over(scene.admin, late, scene.managers[2], "Overdracht")
    employers.bulk_hand_over(scene.admin, scene.managers[1], scene.managers[0], "Vertrek")
    assert_tallies_fresh()
    employers.merge(scene.admin, scene.employers[0], scene.employers[1], "Dubbel")
    assert_tallies_fresh()
    db.session.execute(update(Employer).values(last_contact_at=utcnow()))  # a contact: this month's rows
    assert_tallies_fresh()
    db.session.execute(
        update(Employer).where(Employer.id % 2 == 1).values(last_contact_at=utcnow() - timedelta(days=40))
    )
    assert_tallies_fresh()
    before = employer_tally.TALLY.stored_counts(connection)
    db.session.execute(update(Employer).values(phone="053 123 4567", last_contact_at=Employer.last_contact_at))
    assert employer_tally.TALLY.stored_counts(connection) == before
    db.session.execute(update(Employer).where(Employer.id % 2 == 0).values(municipality_id=None))
    db.session.execute(update(Employer).values(contactpersoon_id=scene.managers[2].id))
    assert_tallies_fresh()
    db.session.execute(delete(Employer).where(Employer.name.startswith("Import ")))
    assert_tallies_fresh()
    live = db.session.scalar(select(db.func.count()).select_from(Employer).where(Employer.merged_into_id.is_(None)))
    assert sum(employer_tally.TALLY.stored_counts(connection).values()) == live


def test_the_vacancy_tally_follows_vacancies_and_their_employers(scene, factories):
    """New vacancies (with and without a place of their own), status and organisation changes,
    a vacancy moved, its employer's move, hand-over one and in bulk, a merge, Core updates and
    deletes: after each, the vacancy tally equals a fresh count."""
    e = scene.employers
    vacancies = [
        factories.VacancyFactory(employer=e[i % 5], municipality_id=scene.places[0].id if i % 2 else None)
        for i in range(8)
    ]
    db.session.flush()
    assert_tallies_fresh()
    vacancies[0].status = "intake_gedaan"
    vacancies[1].organisations = [scene.roc, scene.uwv]
    vacancies[2].employer = e[4]
    vacancies[3].municipality_id = None
    db.session.flush()
    assert_tallies_fresh()
    e[0].municipality_id = scene.places[2].id  # moves its vacancies without a place of their own
    db.session.flush()
    assert_tallies_fresh()
    employers.hand_over(scene.admin, e[1], scene.managers[2], "Overdracht")
    employers.bulk_hand_over(scene.admin, scene.managers[2], scene.managers[0], "Vertrek")
    assert_tallies_fresh()
    employers.merge(scene.admin, e[2], e[3], "Dubbel")
    assert_tallies_fresh()
    db.session.execute(update(Vacancy).where(Vacancy.id % 2 == 0).values(status="vervuld"))
    db.session.execute(update(Employer).values(municipality_id=None, contactpersoon_id=scene.managers[1].id))
    assert_tallies_fresh()
    db.session.execute(delete(Vacancy).where(Vacancy.id.in_([v.id for v in vacancies[:3]])))
    assert_tallies_fresh()
    connection = db.session.connection()
    assert sum(vacancy_tally.TALLY.stored_counts(connection).values()) == 5


def test_rebuild_command_restores_tallies_that_went_wrong(app, scene, factories):
    for i in range(4):
        factories.TrajectoryFactory(partnership=scene.p1, employer=scene.employers[i], status="aangemeld")
    db.session.flush()
    connection = db.session.connection()
    connection.execute(text("UPDATE trajectory_tally SET n = n + 5"))
    connection.execute(text("UPDATE trajectory_month_tally SET n = n + 5"))
    connection.execute(text("DELETE FROM trajectory_start_tally"))
    connection.execute(text("UPDATE employer_tally SET n = n + 1"))
    factories.VacancyFactory(employer=scene.employers[0])
    db.session.flush()
    connection.execute(text("UPDATE vacancy_tally SET n = n + 1"))
    with pytest.raises(AssertionError):
        assert_tallies_fresh()
    result = app.test_cli_runner().invoke(args=["crm", "rebuild-tallies"])
    assert result.exit_code == 0, result.output
    assert "Tallies rebuilt" in result.output and "differed" in result.output
    assert_tallies_fresh()


# --- PostgreSQL: two transactions counting into the same tally row ---------------------------


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    yield from racing_app(tmp_path_factory, "tally")


def test_two_transactions_counting_into_one_group_lose_no_count(race_app):
    from crm.models import Organisation, Partnership, User

    with race_app.app_context():
        org = Organisation(name="ROC Race", kind="roc")
        partnership = Partnership(name="Race", scope="regionaal", members=[org])
        user = User(
            email="am@race.example", name="Am", role="accountmanager", organisation=org, password_hash=password_hash()
        )
        employer = Employer(name="Racefabriek", status="actief", contactpersoon=user)
        participants = [Participant(first_name="P", last_name=str(i), doelgroep="werkzoekende") for i in range(2)]
        db.session.add_all([partnership, employer, *participants])
        db.session.flush()
        # one trajectory already: the group's row exists, both writers update it
        db.session.add(
            Trajectory(kind="duaal", participant=participants[0], employer=employer, partnership=partnership)
        )
        db.session.commit()
        ids = (partnership.id, employer.id, [p.id for p in participants])
        db.session.remove()

    partnership_id, employer_id, participant_ids = ids
    first_flushed = threading.Event()
    outcomes: list[str] = []

    def add(participant_id: int, first: bool) -> None:
        with race_app.app_context():
            try:
                if not first:
                    first_flushed.wait(10)  # the first writer holds the group's row, uncommitted
                db.session.add(
                    Trajectory(
                        kind="duaal",
                        participant_id=participant_id,
                        employer_id=employer_id,
                        partnership_id=partnership_id,
                    )
                )
                if first:
                    db.session.flush()  # the trigger adds 1 to the group's row and holds its lock
                    first_flushed.set()
                    threading.Event().wait(0.5)  # the second writer runs into the lock meanwhile
                db.session.commit()  # the second: its upsert waits for the first, then adds 1 to 2
                outcomes.append("ok")
            except Exception as error:
                db.session.rollback()
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=add, args=(pid, first))
        for pid, first in zip(participant_ids, (True, False), strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes == ["ok", "ok"], outcomes
    with race_app.app_context():
        n = db.session.scalar(
            select(db.func.sum(tally_module.TrajectoryTally.n)).where(
                tally_module.TrajectoryTally.partnership_id == partnership_id
            )
        )
        assert n == 3
        assert_tallies_fresh()
        db.session.remove()


@pytest.mark.parametrize("first", ["move", "add"])
def test_a_trajectory_added_while_its_employer_moves_is_counted_where_it_ends_up(race_app, first):
    """An employer's municipality changes (the employer form) while a trajectory is added for
    it, in two transactions at once, in either order: the new trajectory is counted under the
    region the employer ends up in, not the one the adding transaction saw first."""
    from crm.models import Partnership

    with race_app.app_context():
        org, _user, employer, places = _employer_to_move(f"traject-{first}")
        partnership = Partnership(name=f"Verhuizing {first}", scope="regionaal", members=[org])
        participant = Participant(first_name="P", last_name=first, doelgroep="werkzoekende")
        db.session.add_all([partnership, employer, participant])
        db.session.flush()
        db.session.add(Trajectory(kind="duaal", participant=participant, employer=employer, partnership=partnership))
        db.session.commit()
        employer_id, participant_id, partnership_id = employer.id, participant.id, partnership.id
        db.session.remove()

    def add() -> None:
        db.session.add(
            Trajectory(
                kind="duaal", participant_id=participant_id, employer_id=employer_id, partnership_id=partnership_id
            )
        )

    _move_while_adding(race_app, first, employer_id, places[1], add)
    with race_app.app_context():
        counted = _counted_by_municipality(
            tally_module.TrajectoryTally, tally_module.TrajectoryTally.partnership_id == partnership_id
        )
        assert counted == {places[1]: 2}
        assert_tallies_fresh()
        db.session.remove()


@pytest.mark.parametrize("first", ["move", "add"])
def test_a_vacancy_added_while_its_employer_moves_is_counted_where_it_ends_up(race_app, first):
    """The same for vacancies: a vacancy without a place of its own counts in its employer's
    municipality and under its contactpersoon; the employer moves while the vacancy is added, in
    either order, and the vacancy ends up counted where the employer ends up."""

    with race_app.app_context():
        _org, user, employer, places = _employer_to_move(f"vacature-{first}")
        db.session.add(employer)
        db.session.flush()
        db.session.add(Vacancy(employer=employer, title="Eerste", positions=1, education_level="mbo2"))
        db.session.commit()
        employer_id, user_id = employer.id, user.id
        db.session.remove()

    def add() -> None:
        db.session.add(Vacancy(employer_id=employer_id, title="Tweede", positions=1, education_level="mbo2"))

    _move_while_adding(race_app, first, employer_id, places[1], add)
    with race_app.app_context():
        counted = _counted_by_municipality(
            vacancy_tally.VacancyTally, vacancy_tally.VacancyTally.contactpersoon_id == user_id
        )
        assert counted == {places[1]: 2}
        assert_tallies_fresh()
        db.session.remove()


def _move_while_adding(race_app, first: str, employer_id: int, place: int, add) -> None:
    """Two transactions at once: one moves the employer to ``place``, the other adds a record
    for it (``add``); the one named by ``first`` flushes and holds its change uncommitted
    while the other runs into it. Both must commit."""
    holding = threading.Event()
    outcomes: list[str] = []

    def step(name: str, hold: bool) -> None:
        with race_app.app_context():
            try:
                if not hold:
                    holding.wait(10)
                if name == "moved":
                    db.session.get(Employer, employer_id).municipality_id = place
                else:
                    add()
                db.session.flush()
                if hold:
                    holding.set()
                    threading.Event().wait(0.5)
                db.session.commit()
                outcomes.append(name)
            except Exception as error:
                db.session.rollback()
                outcomes.append(type(error).__name__)
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=step, args=("moved", first == "move")),
        threading.Thread(target=step, args=("added", first == "add")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["added", "moved"], outcomes


def _counted_by_municipality(tally, where) -> dict[int, int]:
    """The tally's counts per municipality for the rows ``where`` selects, rows of 0 left out."""
    total = db.func.sum(tally.n)
    query = select(tally.municipality_id, total).where(where).group_by(tally.municipality_id).having(total != 0)
    return dict(db.session.execute(query).all())


def _employer_to_move(label: str):
    """An account manager at an organisation of their own and their employer in the first of
    two municipalities (not yet added to the session), and those two municipalities' ids."""
    from crm.models import Organisation, User

    org = Organisation(name=f"ROC {label}", kind="roc")
    user = User(
        email=f"am-{label}@race.example",
        name="Am",
        role="accountmanager",
        organisation=org,
        password_hash=password_hash(),
    )
    places = list(db.session.scalars(select(Municipality.id).order_by(Municipality.id).limit(2)))
    employer = Employer(name=f"Bedrijf {label}", status="actief", contactpersoon=user, municipality_id=places[0])
    return org, user, employer, places
