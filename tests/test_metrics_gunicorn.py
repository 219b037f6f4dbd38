"""Metrics in multi-process mode under the real gunicorn (``make run``'s command, two
workers): requests answered by either worker are added up in one ``/metrics`` answer, which
is served on the separate metrics listener only; the public one says 404."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from crm import ROOT
from crm.embedded import commands
from crm.extensions import db
from tests.conftest import migrated_app, side_database_url
from tests.worker.harness import free_port


def get(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


@pytest.fixture
def web(tmp_path, tmp_path_factory):
    url = side_database_url(tmp_path_factory, "gunicorn_metrics")
    with migrated_app(url).app_context():
        db.engine.dispose()  # gunicorn's workers open their own connections
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    public, private = free_port(), free_port()
    command = commands(tmp_path, host="127.0.0.1", port=public)["web"] + ["--bind", f"127.0.0.1:{private}"]
    env = {
        **{name: value for name, value in os.environ.items() if not name.startswith("CRM_")},
        "CRM_CONFIG": "development",
        "CRM_INSTANCE_DIR": str(tmp_path),
        "CRM_DATABASE_URL": url,
        "CRM_BROKER_URL": "memory://",
        "CRM_METRICS_BIND": f"127.0.0.1:{private}",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    log = (tmp_path / "web.log").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # noqa: S603
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if get(public, "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, (tmp_path / "web.log").read_text()
            time.sleep(0.3)
        else:
            raise AssertionError((tmp_path / "web.log").read_text())
        yield public, private, metrics_dir
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the master and its workers
            process.wait(timeout=10)
        log.close()


def login_count(body: str) -> float:
    total = 0.0
    for line in body.splitlines():
        if line.startswith("crm_http_request_duration_seconds_count{") and 'endpoint="auth.login"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_both_workers_requests_add_up_on_the_metrics_listener(web):
    public, private, metrics_dir = web

    def writers() -> set[str]:
        return {path.name.rsplit("_", 1)[1] for path in metrics_dir.glob("histogram_*.db")}

    # Requests in parallel until both workers have answered some: one after the other, the
    # kernel may hand every connection to the same idle worker.
    sent = 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        while sent < 400 and (sent < 30 or len(writers()) < 2):
            assert all(status == 200 for status, _ in pool.map(lambda _: get(public, "/login"), range(10)))
            sent += 10
    assert len(writers()) == 2, f"one worker answered all {sent} requests ({writers()}): the sum proves nothing"
    assert get(public, "/metrics")[0] == 404, "the public listener must not serve metrics"
    status, body = get(private, "/metrics")
    assert status == 200
    assert login_count(body) == sent
    assert 'method="GET"' in body and 'status="2xx"' in body
    assert "crm_http_request_db_statements_bucket" in body and "crm_mail_pending 0.0" in body
