"""Export jobs (crm.services.export_jobs, tasks/exports.py): the employer list's export is asked
for in the browser, built by a worker on the bulk queue, and fetched by the user who asked only.

In the tests Celery is eager: the job runs inside the request that asks for it (the list's own
tests, tests/test_employer_list.py, read the files that way). Here the job is also held, as
when no worker has taken it yet, to see the page say "bezig". A real worker builds one in
tests/worker/test_queue_isolation.py.
"""

from __future__ import annotations

import csv
import io
import os
import re
import time

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import AuditEvent
from crm.services import employer_list, export_jobs
from tasks import exports as export_tasks
from tasks import housekeeping
from tests.conftest import csrf_token, login_as


@pytest.fixture
def am(factories):
    organisation = factories.OrganisationFactory(name="Gemeente Enschede", kind="gemeente")
    return factories.UserFactory(name="Anna de Vries", role="accountmanager", organisation=organisation)


@pytest.fixture
def employers(factories, am):
    factories.EmployerFactory(name="Bouw & Zonen BV", sbi_section_code="F", contactpersoon=am)
    factories.EmployerFactory(name="Bouw Samen BV", sbi_section_code="F")
    factories.EmployerFactory(name="Zorg BV", sbi_section_code="Q")


@pytest.fixture
def held(monkeypatch):
    """Jobs wait (as when no worker has taken them yet): recorded, not run."""
    sent: list[tuple[str, tuple]] = []
    monkeypatch.setattr("crm.view_helpers.queue_task", lambda _app, name, *args: sent.append((name, args)))
    return sent


def ask(client, formaat: str = "csv", **params):
    token = csrf_token(client, "/werkgevers")
    return client.post("/werkgevers/export", query_string=params, data={"csrf_token": token, "formaat": formaat})


def job_token(response) -> str:
    assert response.status_code == 302, response.status_code
    match = re.fullmatch(r"/exporten/([0-9a-f]{32})", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_the_page_says_busy_until_the_worker_is_done_then_offers_the_file(client, am, employers, held):
    login_as(client, am)
    token = job_token(ask(client, "csv", sbi="F"))
    assert held == [("tasks.exports.build_export", (am.id, token))]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export")) is None

    page = client.get(f"/exporten/{token}").get_data(as_text=True)
    assert "Bezig</strong> sinds" in page
    assert f'hx-get="/exporten/{token}/voortgang"' in page and 'hx-trigger="every 2s"' in page
    assert f'<a href="/exporten/{token}">Vernieuwen</a>' in page  # without JavaScript
    assert client.get(f"/exporten/{token}/bestand").status_code == 404  # nothing to fetch yet
    fragment = client.get(f"/exporten/{token}/voortgang", headers={"HX-Request": "true"})
    assert 'id="job-busy"' in fragment.get_data(as_text=True) and "HX-Redirect" not in fragment.headers

    job = export_jobs.configured_store().get(token, am)
    job.running()
    job.progress(4000)  # how far a worker is, as it writes
    assert "4.000 rijen geschreven" in client.get(f"/exporten/{token}").get_data(as_text=True)

    assert export_tasks.build_export.run(am.id, token) == 2  # the worker

    fragment = client.get(f"/exporten/{token}/voortgang", headers={"HX-Request": "true"})
    assert fragment.headers["HX-Redirect"] == f"/exporten/{token}"
    page = client.get(f"/exporten/{token}").get_data(as_text=True)
    assert "De export is klaar: 2 rijen." in page
    assert "Het wordt 24 uur na het maken verwijderd" in page
    response = client.get(f"/exporten/{token}/bestand")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert re.search(r"attachment; filename=werkgevers-\d{8}-\d{4}\.csv", response.headers["Content-Disposition"])
    assert [row[0] for row in csv_rows(response.get_data())[1:]] == ["Bouw & Zonen BV", "Bouw Samen BV"]
    response.close()

    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export"))
    assert event.actor_id == am.id and event.object_type == "employer"
    assert "CSV" in event.summary and "2 rijen" in event.summary and "SBI-sectie F" in event.summary
    assert event.ip_address == "127.0.0.1"  # the address of the request that asked, not the worker's
    # a second delivery of the task leaves the finished job alone
    assert export_tasks.build_export.run(am.id, token) == 2
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()) == 1


def test_only_the_user_who_asked_reaches_the_job_and_its_file(client, factories, am, employers):
    login_as(client, am)
    token = job_token(ask(client, "xlsx"))
    response = client.get(f"/exporten/{token}/bestand")
    assert response.status_code == 200
    response.close()  # a file on disk

    for other in (
        factories.UserFactory(role="admin"),
        factories.UserFactory(role="coordinator", organisation=am.organisation),
        factories.UserFactory(role="accountmanager", organisation=am.organisation),
    ):
        login_as(client, other)
        for path in (f"/exporten/{token}", f"/exporten/{token}/voortgang", f"/exporten/{token}/bestand"):
            assert client.get(path).status_code == 404, (other.role, path)
        # nor by putting the token under their own folder's name
        assert export_jobs.configured_store().get(token, other) is None


def test_a_user_who_may_no_longer_export_gets_a_message_and_no_file(client, am, employers, held):
    login_as(client, am)
    token = job_token(ask(client))
    am.active = False  # deactivated before a worker took the job
    db.session.commit()

    assert export_tasks.build_export.run(am.id, token) is None
    job = export_jobs.configured_store().get_for_task(am.id, token)
    assert job.state == "failed"
    assert export_jobs.failure_text(job.meta["error"]) == "U mag deze export niet (meer) maken."
    assert not job.file_path().exists()
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export")) is None


def test_a_failed_job_says_why_on_its_page(client, am, employers, held, monkeypatch):
    login_as(client, am)
    token = job_token(ask(client))

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(employer_list, "export_file", broken)
    with pytest.raises(RuntimeError):
        export_tasks.build_export.run(am.id, token)
    page = client.get(f"/exporten/{token}").get_data(as_text=True)
    assert "De export is mislukt door een fout op de server. Probeer het opnieuw." in page
    assert client.get(f"/exporten/{token}/bestand").status_code == 404


def test_a_broker_that_cannot_be_reached_is_said_on_the_page(client, am, employers, monkeypatch):
    def unreachable(*_args):
        raise ConnectionError("broker down")

    monkeypatch.setattr("crm.view_helpers.queue_task", unreachable)
    login_as(client, am)
    token = job_token(ask(client))
    assert "De export kon niet worden gestart." in client.get(f"/exporten/{token}").get_data(as_text=True)


def test_the_running_job_shows_the_rows_written_so_far(session, am, factories, monkeypatch):
    for n in range(25):
        factories.EmployerFactory(name=f"Werkgever {n:02d}")
    monkeypatch.setattr(employer_list, "EXPORT_BATCH", 10)
    seen: list[int] = []
    result = employer_list.export(am, employer_list.EmployerFilters(), "csv", progress=seen.append)
    assert seen == [10, 20] and result.rows == 25
    result.file.close()


def test_old_jobs_are_removed_by_the_next_export_and_by_housekeeping(client, app, am, employers):
    login_as(client, am)
    first = job_token(ask(client))
    second = job_token(ask(client))
    store = export_jobs.configured_store()
    old = time.time() - export_jobs.keep_seconds() - 60
    os.utime(store.get(first, am).folder, (old, old))

    job_token(ask(client))  # the next export sweeps
    assert store.get(first, am) is None
    assert client.get(f"/exporten/{first}").status_code == 404
    assert store.get(second, am) is not None

    folder = store.get(second, am).folder
    os.utime(folder, (old, old))
    assert housekeeping.purge_expired_files() >= 1
    assert not folder.exists()
