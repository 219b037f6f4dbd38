"""Two admins creating overlapping programme periods at the same moment, from two database
sessions with real commits (PostgreSQL): the second waits for the first one's table lock and is
then refused, so the periods never overlap. (On SQLite every transaction holds the write lock
from BEGIN, so there is no race to test.)"""

import threading
import time
from datetime import date

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import Organisation, ProgrammePeriod, User
from crm.services import programme_periods
from crm.services.programme_periods import PeriodRefused
from tests.conftest import racing_app
from tests.factories import password_hash


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    yield from racing_app(tmp_path_factory, "periodrace")


def test_two_overlapping_periods_saved_at_once_leave_one(race_app):
    with race_app.app_context():
        org = Organisation(name="Beheer", kind="overig")
        admins = [
            User(
                email=f"beheer{i}@example.nl",
                name=f"Beheerder {i}",
                role="admin",
                organisation=org,
                password_hash=password_hash(),
            )
            for i in range(2)
        ]
        db.session.add_all(admins)
        db.session.commit()
        admin_ids = [a.id for a in admins]
        db.session.remove()

    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    wanted = {
        admin_ids[0]: ("2026", date(2026, 1, 1), date(2026, 12, 31), 0.5),
        admin_ids[1]: ("2026-2027", date(2026, 9, 1), date(2027, 8, 31), 0.0),
    }

    def save(admin_id: int) -> None:
        name, starts_on, ends_on, hold = wanted[admin_id]
        with race_app.app_context():
            try:
                admin = db.session.get(User, admin_id)
                barrier.wait()
                if hold == 0.0:
                    time.sleep(0.1)  # let the other one take the lock first
                programme_periods.save_period(admin, None, name=name, starts_on=starts_on, ends_on=ends_on)
                time.sleep(hold)  # hold the lock so the other save runs into it
                db.session.commit()
                outcomes.append("ok")
            except PeriodRefused as refused:
                db.session.rollback()
                outcomes.append(f"refused: {refused}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=save, args=(admin_id,)) for admin_id in admin_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(outcomes) == 2 and outcomes.count("ok") == 1, outcomes
    assert any(o.startswith("refused: Deze periode overlapt met programmaperiode 2026") for o in outcomes), outcomes
    with race_app.app_context():
        assert [p.name for p in db.session.scalars(select(ProgrammePeriod))] == ["2026"]
        db.session.remove()
