"""Two admins saving the ambitions of the same partnership and period at the same moment,
from two database sessions with real commits (PostgreSQL): one save wins, the other is refused
with what changed; nothing is overwritten unseen. (On SQLite every transaction holds the write
lock from BEGIN, so there is no race to test.)"""

import itertools
import threading
import time
from datetime import date

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import Ambition, Organisation, Partnership, ProgrammePeriod, User
from crm.services import pipeline
from tests.conftest import racing_app
from tests.factories import password_hash


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    yield from racing_app(tmp_path_factory, "ambitionrace")


@pytest.fixture(scope="module")
def admins(race_app):
    with race_app.app_context():
        org = Organisation(name="Beheer", kind="overig")
        users = [
            User(
                email=f"b{i}@example.nl",
                name=f"Beheerder {i}",
                role="admin",
                organisation=org,
                password_hash=password_hash(),
            )
            for i in range(2)
        ]
        db.session.add_all(users)
        db.session.commit()
        result = [u.id for u in users]
        db.session.remove()
    return result


YEARS = itertools.count(2031)


@pytest.fixture
def ids(race_app, admins):
    """A partnership and period of this test's own (the audit log keeps every earlier one)."""
    year = next(YEARS)
    with race_app.app_context():
        partnership = Partnership(name=f"Akkoord {year}", scope="regionaal")
        period = ProgrammePeriod(name=str(year), starts_on=date(year, 1, 1), ends_on=date(year, 12, 31))
        db.session.add_all([partnership, period])
        db.session.commit()
        result = {"admins": admins, "partnership": partnership.id, "period": period.id}
        db.session.remove()
    return result


def race(race_app, ids, seen: dict, targets: list[int]) -> list[str]:
    """Both admins save at once, each ``{"duaal": target}`` over what they saw; the first holds
    its transaction open a moment so the second runs into it."""
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(admin_id: int, target: int, first: bool) -> None:
        with race_app.app_context():
            try:
                admin = db.session.get(User, admin_id)
                partnership = db.session.get(Partnership, ids["partnership"])
                period = db.session.get(ProgrammePeriod, ids["period"])
                barrier.wait()
                if not first:
                    time.sleep(0.1)  # let the other one go first
                pipeline.set_ambitions(admin, partnership, period, {"duaal": target}, seen=seen)
                time.sleep(0.5 if first else 0)  # hold the rows so the other save meets them
                db.session.commit()
                outcomes.append(f"ok {target}")
            except pipeline.AmbitionsChanged as refused:
                db.session.rollback()
                outcomes.append(f"refused {target}: now {refused.current['duaal']}")
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=save, args=(admin_id, target, n == 0))
        for n, (admin_id, target) in enumerate(zip(ids["admins"], targets, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def stored(race_app, ids) -> list[int]:
    with race_app.app_context():
        targets = list(db.session.scalars(select(Ambition.target).where(Ambition.partnership_id == ids["partnership"])))
        db.session.remove()
    return targets


def test_two_first_entries_at_once_leave_one(race_app, ids):
    outcomes = race(race_app, ids, seen={}, targets=[40, 50])
    assert sorted(outcomes) == ["ok 40", "refused 50: now 40"], outcomes
    assert stored(race_app, ids) == [40]


def test_two_changes_of_the_same_ambition_at_once_leave_the_first(race_app, ids):
    race(race_app, ids, seen={}, targets=[30, 30])  # there is an ambition of 30 now
    assert stored(race_app, ids) == [30]
    outcomes = race(race_app, ids, seen={"duaal": 30}, targets=[40, 50])
    assert sorted(outcomes) == ["ok 40", "refused 50: now 40"], outcomes
    assert stored(race_app, ids) == [40]
