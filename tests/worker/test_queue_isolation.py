"""Queues, proven with a real worker: a worker that consumes only the mail queue sends the
reminders while a housekeeping job waits in its own queue; the request id given to the scan
is carried into the send tasks it queues (JSON log lines of the worker); the worker's task
metrics are written for the multi-process scrape.

An export asked for in the browser (a web app that is not eager, on the same broker) is built
by a worker that consumes only the bulk queue, and its file is then fetched by the user."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from amqp.exceptions import ChannelError
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select

from config import TestingConfig
from crm import create_app
from crm.extensions import db
from crm.lib.clock import today
from crm.models import AuditEvent
from crm.services.export_jobs import ExportStore
from tasks.celery_app import create_celery
from tests.conftest import Client, csrf_token, login_as
from tests.factories import EmployerFactory, UserFactory
from tests.worker.harness import Cluster, SmtpSink, broker_url_for_tests, make_follow_ups, wait_for

pytestmark = pytest.mark.worker


@pytest.fixture
def sink():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def cluster(side, sink):
    metrics_dir = side.workdir / "metrics"
    metrics_dir.mkdir()
    cluster = Cluster(
        side.url,
        broker_url_for_tests(side.workdir),
        sink.port,
        side.workdir,
        CRM_LOG_FORMAT="json",
        CRM_LOG_LEVEL="DEBUG",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    cluster.metrics_dir = metrics_dir
    try:
        yield cluster
    finally:
        print(cluster.logs())
        cluster.close()


def waiting(cluster: Cluster, queue: str) -> int:
    """Messages waiting in ``queue`` (Redis forgets an empty queue: then 0)."""
    with cluster.client.connection_for_write() as connection:
        try:
            return connection.default_channel.queue_declare(queue, passive=True).message_count
        except ChannelError:
            return 0


def test_a_mail_only_worker_sends_reminders_while_housekeeping_waits(cluster, sink):
    follow_ups = make_follow_ups(3, today(), users=3)
    queues = cluster.queues()
    mail_queue, housekeeping_queue = f"{cluster.queue}.mail", f"{cluster.queue}.housekeeping"
    assert {mail_queue, housekeeping_queue, f"{cluster.queue}.bulk"} <= set(queues)
    cluster.send("tasks.privacy.anonymise_expired_participants", queue=housekeeping_queue)
    worker = cluster.worker("mailonly", queues=[mail_queue]).wait_ready()
    cluster.send("scan_reminders", queue=mail_queue, headers={"crm_request_id": "req-from-the-test"})

    wait_for(lambda: sink.handler.unique() == len(follow_ups), 60, "the three reminders")
    assert sink.handler.duplicates() == {}
    assert waiting(cluster, housekeeping_queue) == 1, "the housekeeping job was taken by the mail worker"

    lines = [json.loads(line) for line in worker.log.read_text().splitlines() if line.startswith("{")]
    runs = [line for line in lines if line["logger"] == "tasks.run"]
    assert runs, "no JSON task lines in the worker's log"
    sends = [line for line in runs if line.get("task") == "tasks.reminders.send_deliveries"]
    assert sends and {line["request_id"] for line in sends} == {"req-from-the-test"}
    assert all("privacy" not in line.get("task", "") for line in runs)

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(cluster.metrics_dir))
    body = generate_latest(registry).decode()
    assert 'crm_task_runs_total{outcome="succeeded",task="tasks.reminders.send_deliveries"}' in body
    assert 'crm_task_duration_seconds_count{task="tasks.reminders.scan_reminders"}' in body

    # A worker on the housekeeping queue takes the job that waited.
    cluster.worker("housekeeping", queues=[housekeeping_queue]).wait_ready()
    wait_for(lambda: waiting(cluster, housekeeping_queue) == 0, 30, "the housekeeping job to be taken")


def test_a_bulk_worker_builds_the_export_a_user_asked_for_in_the_browser(app, side, cluster):
    user = UserFactory(role="accountmanager", name="Anna de Vries")
    for name in ("Bouw & Zonen BV", "Zorg Twente BV", "Transport Oost BV"):
        EmployerFactory(name=name, contactpersoon=user)
    db.session.commit()
    user_id = user.id  # read now: touching ``user`` later would begin a transaction (SQLite: the write lock)
    bulk_queue = f"{cluster.queue}.bulk"

    class Web(TestingConfig):  # the web process: queues on the cluster's broker, runs nothing itself
        SQLALCHEMY_DATABASE_URI = side.url
        CELERY_TASK_ALWAYS_EAGER = False
        CELERY_BROKER_URL = cluster.broker_url
        CELERY_QUEUE = cluster.queue
        EXPORT_FOLDER = str(side.workdir / "exports")  # the worker's: CRM_INSTANCE_DIR/exports

    web = create_app(Web)
    web.test_client_class = Client
    client = web.test_client()
    try:
        login_as(client, user)
        token = csrf_token(client, "/werkgevers")
        response = client.post("/werkgevers/export", data={"csrf_token": token, "formaat": "csv"})
        db.session.rollback()  # hold no transaction (SQLite: the write lock) while the worker runs
        assert response.status_code == 302
        job_token = re.fullmatch(r"/exporten/([0-9a-f]{32})", response.headers["Location"]).group(1)
        assert "Bezig" in client.get(f"/exporten/{job_token}").get_data(as_text=True)
        assert waiting(cluster, bulk_queue) == 1, "the export was not queued on the bulk queue"

        cluster.worker("bulk", queues=[bulk_queue]).wait_ready()
        store = ExportStore(side.workdir / "exports")
        wait_for(lambda: store.get_for_task(user_id, job_token).done, 60, "the worker to build the export")

        page = client.get(f"/exporten/{job_token}").get_data(as_text=True)
        assert "De export is klaar: 3 rijen." in page
        download = client.get(f"/exporten/{job_token}/bestand")
        assert download.status_code == 200
        rows = list(csv.reader(io.StringIO(download.get_data().decode("utf-8-sig")), delimiter=";"))
        download.close()
        assert sorted(row[0] for row in rows[1:]) == ["Bouw & Zonen BV", "Transport Oost BV", "Zorg Twente BV"]
        events = db.session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.action == "export", AuditEvent.actor_id == user_id)
        )
        db.session.rollback()
        assert events == 1, "the worker wrote the export's audit event"
    finally:
        with web.app_context():
            db.engine.dispose()
        create_celery(app)  # the test app's (eager) Celery is the default again
