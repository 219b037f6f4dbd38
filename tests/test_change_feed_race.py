"""The change feed never passes over a change that commits late (PostgreSQL, real commits).

Transaction A writes an audit event first (the lower id) and commits last; transaction B writes
the higher id and commits at once. A feed that followed ``audit_event.id`` alone would hand out
B, move its cursor past A's id, and never tell A's change. The feed reads ``(txid, id)`` below
the oldest running transaction (crm.services.change_feed), so while A runs B waits, and when B
is told, A is told before it. (Other sessions on the same server can hold the feed back a
little longer; the test asserts only what must hold whatever they do.) SQLite takes the write
lock at BEGIN, so there two transactions cannot interleave.
"""

import pytest
from sqlalchemy import insert

from crm.extensions import db
from crm.models import AuditEvent, Organisation, User
from crm.services import change_feed, employers
from crm.services.employers import EmployerData
from tests.conftest import racing_app
from tests.factories import password_hash


@pytest.fixture(scope="module")
def feed_app(tmp_path_factory):
    yield from racing_app(tmp_path_factory, "feed")


def event_on(connection, employer_id: int) -> int:
    """An "update" event of the employer, written in ``connection``'s own transaction."""
    statement = insert(AuditEvent).values(action="update", object_type="employer", object_id=employer_id, summary="")
    return connection.execute(statement.returning(AuditEvent.id)).scalar_one()


def event_ids(page: change_feed.FeedPage) -> list[int]:
    return [int(change.cursor.split("-")[1]) for change in page.changes]


def test_a_late_commit_is_not_passed_over(feed_app):
    with feed_app.app_context():
        org = Organisation(name="Gemeente Almelo", kind="gemeente")
        am = User(
            email="am@almelo.example",
            name="Accountmanager",
            role="accountmanager",
            organisation=org,
            password_hash=password_hash(),
        )
        db.session.add(am)
        db.session.flush()
        employer = employers.create_employer(am, EmployerData(name="Smederij Vonk"))
        db.session.commit()
        employer_id, reader_id = employer.id, am.id
        db.session.remove()

    with feed_app.app_context():
        late, early = db.engine.connect(), db.engine.connect()
        try:
            late_tx = late.begin()
            late_id = event_on(late, employer_id)
            early_tx = early.begin()
            early_id = event_on(early, employer_id)
            early_tx.commit()
            assert late_id < early_id

            reader = db.session.get(User, reader_id)
            first = change_feed.changes(reader, limit=500)
            assert early_id not in event_ids(first), "told while a lower id was still uncommitted"
            db.session.rollback()

            late_tx.commit()
            second = change_feed.changes(reader, since=first.cursor, limit=500)
            told = event_ids(second)
            if early_id in told:
                assert late_id in told and told.index(late_id) < told.index(early_id)
        finally:
            late.close()
            early.close()
            db.session.remove()
