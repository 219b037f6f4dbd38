"""Health probes, the request id, JSON log lines and the metrics page (in this process; the
multi-process and real-worker cases are in tests/test_metrics_gunicorn.py and tests/worker/)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import text

from crm.extensions import db
from crm.models import Delivery
from crm.models.base import utcnow
from crm.observability import logs
from tasks.celery_app import create_celery
from tests.conftest import alembic_config, counted_queries, login_as, migrated_app, side_database_url

# --- /livez and /readyz -------------------------------------------------------------------


def test_livez_answers_without_database_or_session(client, factories):
    login_as(client, factories.UserFactory())
    with counted_queries() as statements:
        response = client.get("/livez")
    assert response.status_code == 200 and response.json == {"status": "ok"}
    assert statements == []
    assert "Set-Cookie" not in response.headers and "Cookie" not in response.headers.get("Vary", "")
    assert response.headers["Cache-Control"] == "no-store"


def test_readyz_is_ready_on_a_migrated_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok", "schema": "ok", "broker": "ok"}}
    assert "Set-Cookie" not in response.headers


def test_readyz_names_an_unreachable_broker(app, client):
    saved = app.config["CELERY_BROKER_URL"]
    app.config["CELERY_BROKER_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/readyz")
    finally:
        app.config["CELERY_BROKER_URL"] = saved
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    checks = response.json["checks"]
    assert checks["database"] == "ok" and checks["schema"] == "ok"
    assert checks["broker"].startswith("failed:")


def test_readyz_refuses_a_schema_behind_the_code(tmp_path_factory):
    side = migrated_app(side_database_url(tmp_path_factory, "health"))
    with side.app_context():
        with db.engine.begin() as connection:
            command.downgrade(alembic_config(connection), "-1")
        older = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        db.session.rollback()
        response = side.test_client().get("/readyz")
        db.engine.dispose()
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["schema"].startswith(f"failed: database at {older}, code expects ")


# --- the request id -------------------------------------------------------------------------


def test_a_sane_request_id_is_kept_and_returned(client):
    response = client.get("/login", headers={"X-Request-ID": "lb-7f3a.2026:01"})
    assert response.headers["X-Request-ID"] == "lb-7f3a.2026:01"


@pytest.mark.parametrize("incoming", [None, "", "a" * 65, 'x"} FAKE LOG LINE', "naam jan@example.nl", "-leading"])
def test_an_absent_or_insane_request_id_is_replaced(client, incoming):
    headers = {} if incoming is None else {"X-Request-ID": incoming}
    returned = client.get("/login", headers=headers).headers["X-Request-ID"]
    assert returned != incoming and len(returned) == 16 and int(returned, 16) >= 0


def test_each_request_is_logged_once_by_endpoint_with_its_request_id(client, caplog):
    caplog.set_level(logging.INFO, logger="crm.request")
    client.get("/login?next=/werkgevers?q=Jansen", headers={"X-Request-ID": "req-1"})
    (record,) = [r for r in caplog.records if r.name == "crm.request"]
    assert record.request_id == "req-1"
    assert (record.endpoint, record.method, record.status) == ("auth.login", "GET", 200)
    assert "Jansen" not in record.getMessage() and "/login" not in record.getMessage()


def test_json_format_gives_one_object_per_line_with_request_id_and_no_e_mail_address():
    logs._install_record_factory()
    token = logs.request_id.set("req-json")
    try:
        record = logging.getLogger("crm.test").makeRecord(
            "crm.test", logging.WARNING, __file__, 1, "Mail %s refused: %s", (7, "550 <jan@example.nl> unknown"), None
        )
    finally:
        logs.request_id.reset(token)
    line = logs.JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "crm.test" and entry["request_id"] == "req-json"
    assert entry["message"] == "Mail 7 refused: 550 <<e-mail>> unknown"
    assert "jan@example.nl" not in logs.TextFormatter().format(record)


def test_a_task_run_inside_a_request_context_keeps_its_request_id(app, session, caplog):
    """Eager (in-process) tasks log under the id of whoever ran them; a task's own id otherwise."""
    from tasks import housekeeping

    create_celery(app)
    caplog.set_level(logging.DEBUG, logger="tasks")
    token = logs.request_id.set("req-task")
    try:
        housekeeping.purge_read_notifications.delay()
        logging.getLogger("tasks.test").debug("after")
    finally:
        logs.request_id.reset(token)
    assert [r.request_id for r in caplog.records if r.name == "tasks.test"] == ["req-task"]


# --- /metrics -------------------------------------------------------------------------------


@pytest.fixture
def metrics_token(app):
    app.config["METRICS_TOKEN"] = "s3cret-scrape-token-for-tests"
    yield "s3cret-scrape-token-for-tests"
    app.config["METRICS_TOKEN"] = ""


def test_metrics_are_not_served_without_a_token_or_bind(client):
    assert client.get("/metrics").status_code == 404


def test_metrics_need_the_bearer_token(client, metrics_token):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {metrics_token}"}).status_code == 200


def test_metrics_on_their_own_listener_need_no_token(app, client):
    app.config["METRICS_BIND"] = "127.0.0.1:9464"
    try:
        public = client.get("/metrics", base_url="http://127.0.0.1:8000")
        private = client.get("/metrics", base_url="http://127.0.0.1:9464")
    finally:
        app.config["METRICS_BIND"] = ""
    assert public.status_code == 404
    assert private.status_code == 200 and b"crm_mail_pending" in private.data


def scrape(client, token) -> str:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return response.get_data(as_text=True)


def sample(body: str, name: str, **labels: str) -> float:
    """The value of the sample ``name`` whose labels include ``labels``."""
    for line in body.splitlines():
        if line.startswith("#") or not line.startswith(name + ("{" if labels else "")):
            continue
        head, value = line.rsplit(" ", 1)
        if head.split("{")[0] == name and all(f'{key}="{val}"' in head for key, val in labels.items()):
            return float(value)
    raise AssertionError(f"no sample {name} {labels}")


def test_request_metrics_per_endpoint_method_and_status_class(client, factories, metrics_token):
    before = scrape(client, metrics_token)

    def count(body):
        try:
            return sample(
                body, "crm_http_request_duration_seconds_count", endpoint="auth.login", method="GET", status="2xx"
            )
        except AssertionError:
            return 0.0

    client.get("/login")
    client.get("/bestaat-niet")
    body = scrape(client, metrics_token)
    assert count(body) == count(before) + 1
    assert sample(body, "crm_http_request_duration_seconds_count", endpoint="none", method="GET", status="4xx") >= 1
    assert 'le="0.3"' in body
    assert sample(body, "crm_http_request_db_statements_count", endpoint="auth.login") >= 1
    assert sample(body, "crm_http_request_db_seconds_count", endpoint="auth.login") >= 1


def test_database_statements_per_request_are_counted(client, factories, metrics_token):
    login_as(client, factories.UserFactory(role="accountmanager"))
    before = scrape(client, metrics_token)
    try:
        old = sample(before, "crm_http_request_db_statements_sum", endpoint="worklist.index")
    except AssertionError:
        old = 0.0
    with counted_queries() as statements:
        assert client.get("/").status_code == 200
    body = scrape(client, metrics_token)
    assert sample(body, "crm_http_request_db_statements_sum", endpoint="worklist.index") - old == len(statements) > 0


def test_task_runs_are_counted_by_task_and_outcome(app, client, metrics_token):
    from tasks import housekeeping

    create_celery(app)
    housekeeping.purge_read_notifications.delay()
    body = scrape(client, metrics_token)
    task = "tasks.housekeeping.purge_read_notifications"
    assert sample(body, "crm_task_runs_total", task=task, outcome="succeeded") >= 1
    assert sample(body, "crm_task_duration_seconds_count", task=task) >= 1


def test_the_mail_queue_state_is_read_at_scrape_time(client, factories, metrics_token):
    owner = factories.UserFactory()
    db.session.add_all(
        [
            Delivery(
                key="t:1", kind="due", user_id=owner.id, status="pending", created_at=utcnow() - timedelta(hours=2)
            ),
            Delivery(key="t:2", kind="due", user_id=owner.id, status="pending", created_at=utcnow()),
            Delivery(key="t:3", kind="due", user_id=owner.id, status="failed"),
            Delivery(key="t:4", kind="due", user_id=owner.id, status="sent"),
        ]
    )
    db.session.commit()
    body = scrape(client, metrics_token)
    assert sample(body, "crm_mail_pending") == 2
    assert sample(body, "crm_mail_failed") == 1
    assert 7200 <= sample(body, "crm_mail_oldest_pending_age_seconds") < 7200 + 600


def test_a_failing_task_is_counted_as_failed(app, client, metrics_token):
    celery = create_celery(app)

    @celery.task(name="crm_test.always_fails")
    def always_fails():
        raise RuntimeError("boom")

    try:
        result = always_fails.delay()
        assert result.failed()
        body = scrape(client, metrics_token)
    finally:
        celery.tasks.unregister("crm_test.always_fails")
    assert sample(body, "crm_task_runs_total", task="crm_test.always_fails", outcome="failed") == 1
    with pytest.raises(AssertionError):
        sample(body, "crm_task_runs_total", task="crm_test.always_fails", outcome="succeeded")
