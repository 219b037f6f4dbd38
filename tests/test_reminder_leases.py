"""The fetch journal (crm.services.reminder_leases): a worker's record of the batches it fetched,
whose ``flock`` the kernel drops when the worker dies. Real processes, killed with SIGKILL; the
whole path with a real worker and broker: tests/worker/test_exactly_once.py (h)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import datetime, timedelta

from crm.extensions import db
from crm.models import Delivery
from crm.services import reminder_leases, reminders

NOW = datetime.fromisoformat("2026-11-27T09:00:00+00:00")
TODAY = NOW.date()


def journal_process(directory, delivery_ids: list[int]) -> subprocess.Popen:
    """Another process that fetched ``delivery_ids`` (its journal says so) and is still alive."""
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from crm.services.reminder_leases import FetchJournal
        journal = FetchJournal(Path({str(directory)!r}))
        journal.record({delivery_ids!r})
        print("ready", flush=True)
        time.sleep(60)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)  # noqa: S603
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


def test_a_live_workers_journal_is_left_alone_and_a_killed_ones_is_read_and_removed(tmp_path):
    worker = journal_process(tmp_path, [11, 12, 13])
    try:
        with reminder_leases.orphaned_batches(tmp_path) as orphans:
            assert orphans.delivery_ids == set()  # its lock is held: the worker lives
        worker.kill()  # SIGKILL: no handler runs, the kernel drops the lock
        worker.wait(10)
        with reminder_leases.orphaned_batches(tmp_path) as orphans:
            assert orphans.delivery_ids == {11, 12, 13}
            orphans.done()
        assert list(tmp_path.glob("*.held")) == []
    finally:
        worker.kill()
        worker.wait(10)
        assert worker.stdout is not None
        worker.stdout.close()


def test_a_scan_that_does_not_finish_leaves_the_journal_to_the_next(tmp_path):
    journal = reminder_leases.FetchJournal(tmp_path)
    journal.record([21, 22])
    journal.close()  # as if its process died
    with reminder_leases.orphaned_batches(tmp_path) as orphans:
        assert orphans.delivery_ids == {21, 22}  # no done(): e.g. the commit failed
    with reminder_leases.orphaned_batches(tmp_path) as orphans:
        assert orphans.delivery_ids == {21, 22}


def test_the_journal_forgets_what_a_committed_renewal_covers(tmp_path):
    journal = reminder_leases.FetchJournal(tmp_path)
    journal.record([31, 32])
    journal.record([33])
    journal.confirm({31, 32})
    assert journal.unconfirmed() == {33}  # fetched while the renewal ran: kept
    journal.confirm({33})
    assert journal.unconfirmed() == set()
    journal.close()
    with reminder_leases.orphaned_batches(tmp_path) as orphans:
        assert orphans.delivery_ids == set()  # the held lease covers them now


def test_orphaned_rows_are_queued_again_whatever_their_lease_says(factories, app):
    """Rows a dead worker had fetched but not renewed carry the queue lease: the resend scan
    takes them at once; rows no longer pending are passed by."""
    for _ in range(4):
        factories.FollowUpFactory(due_date=TODAY)
    ids = reminders.claim_follow_up_reminders(NOW).delivery_ids
    reminder_leases.mark_queued(ids, NOW)  # queue lease: ten minutes
    db.session.get(Delivery, ids[0]).status = "sent"
    db.session.flush()
    soon = NOW + timedelta(minutes=1)
    assert reminder_leases.claim_resendable(soon) == []
    assert reminder_leases.claim_resendable(soon, orphaned=[ids[0], ids[1], ids[2]]) == [ids[1], ids[2]]
    assert db.session.get(Delivery, ids[1]).next_attempt_at == soon + reminder_leases.run_lease()  # until queued
    assert reminder_leases.mark_queued([ids[1], ids[2]], soon) == 2
    assert reminder_leases.claim_resendable(soon + timedelta(minutes=5)) == []  # not again every minute
