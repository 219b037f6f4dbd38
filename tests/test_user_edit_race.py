"""Two admins saving the same user at the same moment, from two database sessions with real
commits (PostgreSQL): the edit version moves in one UPDATE, so one save wins and the other is
refused; nothing is overwritten unseen. (On SQLite every transaction holds the write lock from
BEGIN, so there is no race to test.)"""

import threading
import time

import pytest

from crm.extensions import db
from crm.models import Organisation, User
from crm.services import accounts
from crm.services.errors import StaleRecord
from tests.conftest import racing_app
from tests.factories import password_hash


@pytest.fixture(scope="module")
def race_app(tmp_path_factory):
    yield from racing_app(tmp_path_factory, "userrace")


def test_two_admin_edits_of_one_user_at_once_leave_the_first(race_app):
    with race_app.app_context():
        org = Organisation(name="ROC van Twente", kind="roc")
        users = [
            User(email=f"u{i}@example.nl", name=name, role=role, organisation=org, password_hash=password_hash())
            for i, (name, role) in enumerate(
                [("Beheerder A", "admin"), ("Beheerder B", "admin"), ("Karin Bos", "partner")]
            )
        ]
        db.session.add_all(users)
        db.session.commit()
        admin_ids, target_id = [users[0].id, users[1].id], users[2].id
        db.session.remove()

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(admin_id: int, phone: str, first: bool) -> None:
        with race_app.app_context():
            try:
                admin, target = db.session.get(User, admin_id), db.session.get(User, target_id)
                seen = target.edit_version  # both opened the form on version 1
                barrier.wait()
                if not first:
                    time.sleep(0.1)
                accounts.update_user(
                    admin,
                    target,
                    name=target.name,
                    role=target.role,
                    organisation=target.organisation,
                    phone=phone,
                    version=seen,
                )
                time.sleep(0.5 if first else 0)  # hold the row so the other save meets it
                db.session.commit()
                outcomes.append(f"ok {phone}")
            except StaleRecord:
                db.session.rollback()
                outcomes.append(f"refused {phone}")
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=save, args=(admin_ids[0], "053 111 1111", True)),
        threading.Thread(target=save, args=(admin_ids[1], "053 222 2222", False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["ok 053 111 1111", "refused 053 222 2222"], outcomes
    with race_app.app_context():
        target = db.session.get(User, target_id)
        assert (target.phone, target.edit_version) == ("053 111 1111", 2)
        db.session.remove()
