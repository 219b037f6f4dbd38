"""Two handovers of the same employer at the same moment, from two database sessions.

Runs on its own PostgreSQL database with real commits: the second handover waits for the
first one's row lock and is then refused. Exactly one open assignment remains, naming the
employer's contactpersoon. (On SQLite every transaction holds the write lock from BEGIN, so
there is no race to test.)
"""

import threading
import time

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import ContactpersoonAssignment, Employer, Organisation, User
from crm.services import employers
from crm.services.employers import EmployerData
from crm.services.errors import StaleRecord
from tests.conftest import racing_app
from tests.factories import password_hash


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    yield from racing_app(tmp_path_factory, "race")


def test_two_handovers_racing_leave_exactly_one_contactpersoon(race_app):
    with race_app.app_context():
        org = Organisation(name="UWV Twente", kind="uwv")
        users = [
            User(
                email=f"am{i}@uwv.example",
                name=f"Accountmanager {i}",
                role="coordinator",
                organisation=org,
                password_hash=password_hash(),
            )
            for i in range(3)
        ]
        db.session.add_all(users)
        db.session.flush()
        employer = employers.create_employer(users[0], EmployerData(name="Textielfabriek Nijverdal"), users[0])
        db.session.commit()
        employer_id, actor_ids, targets = employer.id, [users[1].id, users[2].id], [users[2].id, users[1].id]
        db.session.remove()

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def hand_over(actor_id: int, target_id: int, hold: float) -> None:
        with race_app.app_context():
            try:
                employer = db.session.get(Employer, employer_id)
                actor, target = db.session.get(User, actor_id), db.session.get(User, target_id)
                barrier.wait()
                employers.hand_over(actor, employer, target, f"Overdracht door {actor.name}")
                time.sleep(hold)  # hold the lock so the other handover runs into it
                db.session.commit()
                outcomes.append("ok")
            except StaleRecord:
                db.session.rollback()
                outcomes.append("refused")
            except Exception as error:  # the database itself refused (lock or unique index)
                db.session.rollback()
                outcomes.append(f"db-refused: {type(error).__name__}")
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=hand_over, args=(actor_ids[0], targets[0], 0.5)),
        threading.Thread(target=hand_over, args=(actor_ids[1], targets[1], 0.0)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert outcomes.count("ok") == 1, outcomes
    with race_app.app_context():
        employer = db.session.get(Employer, employer_id)
        open_rows = db.session.scalars(
            select(ContactpersoonAssignment).where(
                ContactpersoonAssignment.employer_id == employer_id, ContactpersoonAssignment.ended_at.is_(None)
            )
        ).all()
        assert [row.user_id for row in open_rows] == [employer.contactpersoon_id]
        assert employer.contactpersoon_id in targets
        db.session.remove()
