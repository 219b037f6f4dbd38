"""Exactly once, proven with real components: a Celery worker PROCESS (``celery -A tasks.worker
worker``), the real broker (the SQLite broker of the embedded default; Redis when the run sets
``CRM_TEST_BROKER_URL=redis://...``), the real database (SQLite file or PostgreSQL) and a real
SMTP server on loopback (aiosmtpd) that counts the messages it accepted by Message-ID.

(a) 500 due follow-ups -> exactly 500 mails.
(b) the worker is SIGKILLed mid-batch (300 follow-ups) and restarted -> one mail per follow-up, none missing.
(c) two beat processes (and bursts of concurrent scans in two workers) -> no duplicates.
(d) the SMTP server refuses connections, then answers 421, then works -> all delivered once.
(e) the digest on Eerste Kerstdag, Koningsdag and a Sunday -> none; next working day -> sent.
(f) a send batch cut off by SIGKILL and run again -> only the mails it had not sent.
(g) a batch that runs longer than several held leases -> renewed, never queued a second time.
(h) SQLite: a batch fetched while another connection holds the database write lock (so it
    cannot be renewed), then the worker SIGKILLed -> back within seconds, not the queue lease.

(b) keeps the queue lease at its production 10 minutes: what the killed worker held (the batch
it ran and the batches it had fetched) comes back because its held lease (3 s here) lapsed.

What (b) does not claim: a kill after the message reached the server and before the
worker's COMMIT duplicates that one message (see crm.services.reminders). The test kills
the worker while the server holds the DATA reply, i.e. mid-send, and this server then does
NOT accept that message (451). A real server may well accept a message whose client has
gone; bench/kill_bench.py measures how often that duplicates a mail per kill.
"""

from __future__ import annotations

import re
import sqlite3
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from crm.extensions import db
from crm.lib.clock import today
from crm.models import Delivery
from crm.services import reminder_leases, reminders
from tests.worker.harness import Cluster, SmtpSink, broker_url_for_tests, make_follow_ups, wait_for

pytestmark = pytest.mark.worker

FOLLOW_UP_ID = re.compile(r"<followup-(\d+)-(?:due|overdue)-\d{8}@werkgeverscrm\.test>")


@pytest.fixture
def sink():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def cluster(side, sink):
    cluster = Cluster(side.url, broker_url_for_tests(side.workdir), sink.port, side.workdir)
    try:
        yield cluster
    except BaseException:
        raise
    finally:
        cluster.close()


@pytest.fixture(autouse=True)
def show_logs_on_failure(request, cluster):
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(cluster.logs())


def statuses() -> dict[str, int]:
    db.session.rollback()
    rows = db.session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
    db.session.rollback()
    return dict(rows)


def assert_exactly_once(sink: SmtpSink, follow_up_ids: list[int]) -> None:
    handler = sink.handler
    assert handler.duplicates() == {}, "a Message-ID arrived twice"
    reminded = sorted(int(FOLLOW_UP_ID.fullmatch(mid).group(1)) for mid in handler.ids())
    assert reminded == sorted(follow_up_ids), "not every follow-up got exactly one mail"
    assert statuses() == {"sent": len(follow_up_ids)}


def wait_for_mails(sink: SmtpSink, count: int, timeout: float, cluster: Cluster) -> None:
    try:
        wait_for(lambda: sink.handler.unique() >= count, timeout, f"{count} mails (have {sink.handler.unique()})")
    except AssertionError:
        print(cluster.logs())
        raise
    time.sleep(2)  # anything that would arrive twice arrives now (the lease is 3 s, the resend runs each second)


def test_a_500_due_follow_ups_make_exactly_500_mails(side, sink, cluster):
    follow_ups = make_follow_ups(500, today())
    cluster.worker("w1", concurrency=2).wait_ready()
    cluster.send("scan_reminders")

    wait_for_mails(sink, 500, 90, cluster)
    cluster.send("resend_pending")  # a resend after the fact finds nothing to do
    time.sleep(1.5)

    assert_exactly_once(sink, follow_ups)
    assert sink.handler.total() == 500
    db.session.rollback()
    assert db.session.scalar(select(func.max(Delivery.attempts))) == 1


def test_b_worker_killed_mid_batch_and_restarted_still_one_mail_each(side, sink, cluster):
    cluster.env["CRM_REMINDER_LEASE_SECONDS"] = "600"  # the queue lease: not what brings them back
    follow_ups = make_follow_ups(300, today())
    sink.handler.stall_at = 100  # the 100th message: the server holds its reply...
    worker = cluster.worker("w1", concurrency=1).wait_ready()
    cluster.send("scan_reminders")

    assert sink.handler.stalled.wait(90), "the worker never reached the 100th message"
    worker.kill()  # ...while the worker waits for it: SIGKILL, worker and pool child
    delivered_before = sink.handler.unique()
    sink.handler.release.set()  # the server now refuses the half-sent message (451)
    assert 90 <= delivered_before < 300, "the kill did not land mid-batch"
    assert statuses().get("pending", 0) == 300 - delivered_before

    cluster.worker("w2", concurrency=2).wait_ready()  # restarted
    cluster.beat("beat")  # the resend scan queues what the killed worker held
    wait_for_mails(sink, 300, 90, cluster)

    assert_exactly_once(sink, follow_ups)


def test_c_two_beats_and_concurrent_scans_make_no_duplicates(side, sink, cluster):
    cluster.env["CRM_REMINDER_CLAIM_BATCH"] = "40"  # many small claims, so scans interleave
    follow_ups = make_follow_ups(300, today())
    cluster.worker("w1", concurrency=2)
    cluster.worker("w2", concurrency=2)
    cluster.beat("beat-1")
    cluster.beat("beat-2")
    for _ in range(8):  # and bursts of scans from both workers at once
        cluster.send("scan_reminders")
        cluster.send("resend_pending")

    wait_for_mails(sink, 300, 90, cluster)
    time.sleep(2)  # both beats keep scanning and resending

    assert_exactly_once(sink, follow_ups)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Delivery)) == 300


def test_d_smtp_down_then_up_delivers_everything_once(side, sink, cluster):
    cluster.env["CRM_REMINDER_MAX_ATTEMPTS"] = "100"  # the give-up rule has its own unit test
    sink.stop()  # connections refused
    follow_ups = make_follow_ups(200, today())
    cluster.worker("w1", concurrency=2).wait_ready()
    cluster.beat("beat")

    def failed_once(count: int):
        def check() -> bool:
            db.session.rollback()
            tried = db.session.scalar(select(func.count()).select_from(Delivery).where(Delivery.attempts >= 1))
            db.session.rollback()
            return tried >= count

        return check

    wait_for(failed_once(100), 90, "100 refused first attempts", interval=0.5)
    assert sink.handler.total() == 0

    sink.handler.temporary = True
    sink.start()  # up, but answering 421 "try again later"
    wait_for(lambda: sink.handler.refused >= 20, 60, "421 replies")
    sink.handler.temporary = False  # and now it works

    wait_for_mails(sink, 200, 120, cluster)
    assert_exactly_once(sink, follow_ups)
    db.session.rollback()
    retried = select(func.count()).select_from(Delivery).where(Delivery.attempts >= 2)
    assert db.session.scalar(retried) >= 100
    assert db.session.scalar(select(func.count()).select_from(Delivery).where(Delivery.last_error != "")) == 0


def test_e_no_digest_on_holidays_or_sunday_and_sent_on_the_next_working_day(side, sink, cluster):
    make_follow_ups(10, date(2026, 12, 1), users=5, prefix="Achterstallig")  # overdue on all dates below
    worker = cluster.worker("w1", concurrency=1).wait_ready()  # one at a time: the tasks run in order
    for day in ("2026-12-25", "2027-04-27", "2026-12-27"):  # Eerste Kerstdag, Koningsdag, Sunday
        cluster.send("send_digests", day)
    cluster.send("send_digests", "2026-12-28")  # Monday after Christmas
    cluster.send("send_digests", "2027-04-28")  # Wednesday after Koningsdag

    wait_for_mails(sink, 10, 60, cluster)

    dates = sorted({re.search(r"-(\d{8})@", mid).group(1) for mid in sink.handler.ids()})
    assert dates == ["20261228", "20270428"]
    assert sink.handler.duplicates() == {} and sink.handler.total() == 10
    db.session.rollback()
    keys = db.session.scalars(select(Delivery.key)).all()
    assert not [key for key in keys if key.endswith(("2026-12-25", "2027-04-27", "2026-12-27"))]
    assert statuses() == {"sent": 10}
    assert worker.popen.poll() is None


def test_f_a_batch_run_again_after_a_kill_sends_only_what_it_had_not_sent(side, sink, cluster):
    cluster.env["CRM_REMINDER_SEND_BATCH"] = "50"
    cluster.env["CRM_REMINDER_LEASE_SECONDS"] = "600"  # no resend here: the batch itself runs again
    follow_ups = make_follow_ups(50, today())
    sink.handler.stall_at = 20  # the server holds its reply to the batch's 20th message...
    worker = cluster.worker("w1", concurrency=1).wait_ready()
    cluster.send("scan_reminders")  # claims the 50 and queues them as one batch

    assert sink.handler.stalled.wait(60), "the batch never reached its 20th message"
    worker.kill()  # ...while the worker waits for it
    sink.handler.release.set()  # and then refuses it (451): 19 delivered
    assert sink.handler.unique() == 19
    assert statuses() == {"sent": 19, "pending": 31}  # each row committed on its own

    db.session.rollback()
    batch = list(db.session.scalars(select(Delivery.id).order_by(Delivery.id)))
    db.session.rollback()
    cluster.worker("w2", concurrency=1).wait_ready()
    cluster.send("send_deliveries", batch)  # the same batch again, as a redelivered task message
    wait_for_mails(sink, 50, 60, cluster)

    assert_exactly_once(sink, follow_ups)
    assert sink.handler.total() == 50


SEND_RECEIVED = re.compile(r"Task tasks\.reminders\.send_deliveries\[[^\]]+\] received")


def test_g_a_long_batch_renews_its_lease_and_is_queued_once(side, sink, cluster):
    cluster.env["CRM_REMINDER_SEND_BATCH"] = "40"
    cluster.env["CRM_REMINDER_LEASE_SECONDS"] = "600"
    follow_ups = make_follow_ups(40, today())
    sink.handler.delay = 0.25  # the batch runs 10 s and more: over three held leases (3 s)
    worker = cluster.worker("w1", concurrency=2).wait_ready()  # a second pool process is free
    cluster.beat("beat")  # claims, and runs the resend scan every second

    wait_for_mails(sink, 40, 120, cluster)

    assert_exactly_once(sink, follow_ups)
    assert len(SEND_RECEIVED.findall(worker.log.read_text())) == 1  # the resend never queued it again


def test_h_a_batch_fetched_while_the_write_lock_is_held_comes_back_soon_after_a_kill(side, sink, cluster, monkeypatch):
    """The gap of issue 20: on SQLite renewing a batch's lease needs the database write lock,
    which a sending pool process holds over each SMTP exchange (here: another connection holds
    it throughout). A batch the worker fetches meanwhile cannot be renewed; the worker dies
    with it. Its rows still carry the 10-minute queue lease, yet the first resend scan after
    the death (1 s here, with a 3 s held lease) must queue them again."""
    if make_url(side.url).get_backend_name() != "sqlite":
        pytest.skip("the database write lock is SQLite's (PostgreSQL's renewal passes a row being sent by)")
    cluster.env["CRM_REMINDER_LEASE_SECONDS"] = "600"  # the queue lease: not what brings them back
    monkeypatch.setitem(side.app.config, "REMINDER_SEND_FROM_HOUR", 0)  # the test runs at any hour
    follow_ups = make_follow_ups(20, today())
    now = reminders.utcnow()
    batch = reminders.claim_follow_up_reminders(now).delivery_ids
    db.session.commit()
    reminder_leases.mark_queued(batch, now)  # as the scan leaves them once their task is queued
    db.session.commit()
    db.session.rollback()
    worker = cluster.worker("w1", concurrency=1).wait_ready()

    lock = sqlite3.connect(make_url(side.url).database, isolation_level=None, timeout=10)
    lock.execute("BEGIN IMMEDIATE")  # the write lock, as a sender holds it during an SMTP exchange
    try:
        cluster.send("send_deliveries", batch)
        wait_for(lambda: SEND_RECEIVED.search(worker.log.read_text()) is not None, 30, "the worker to fetch the batch")
        time.sleep(1)  # the worker tries to renew the batch (and waits for the lock)
        worker.kill()
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    db.session.rollback()
    leases = set(db.session.scalars(select(Delivery.next_attempt_at)))
    db.session.rollback()
    assert leases == {now + timedelta(seconds=600)}  # never renewed: the rows carry the queue lease
    assert sink.handler.total() == 0

    started = time.monotonic()
    cluster.worker("w2", concurrency=1).wait_ready()  # restarted
    cluster.beat("beat")  # the resend scan, every second
    wait_for_mails(sink, 20, 30, cluster)

    assert time.monotonic() - started < 30  # seconds, not the queue lease's ten minutes
    assert_exactly_once(sink, follow_ups)
