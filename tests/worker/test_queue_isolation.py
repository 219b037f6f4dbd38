"""Queues, proven with a real worker: a worker that consumes only the mail queue sends the
reminders while a housekeeping job waits in its own queue; the request id given to the scan
is carried into the send tasks it queues (JSON log lines of the worker); the worker's task
metrics are written for the multi-process scrape.

There is no import or export task yet (imports and exports run in the web request); their
queue (``bulk``) is routed and consumed all the same (tests/test_queues.py)."""

from __future__ import annotations

import json

import pytest
from amqp.exceptions import ChannelError
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from crm.lib.clock import today
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
