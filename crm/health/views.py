"""Addresses for the operator's machines, not for people: ``/livez``, ``/readyz``, ``/metrics``.

- ``/livez``: the process answers. No database, no broker, no session: a load balancer or
  systemd watchdog may call it every second, and a database outage must not make every web
  process look dead (restarting them would not help).
- ``/readyz``: this process can serve: the database answers, its schema is at the newest
  Alembic revision (a web process started before ``alembic upgrade head`` would fail on
  every page that uses a new column), and the broker answers. 200 or 503, with a JSON body
  naming each check and what failed. ``make run`` waits on it before printing the address.
- ``/metrics``: Prometheus text format (``crm.observability.metrics``). Not public: it is
  served only with ``Authorization: Bearer <CRM_METRICS_TOKEN>``, or to requests that came
  in on the separate bind address ``CRM_METRICS_BIND`` (gunicorn binds it next to the
  public one; keep it reachable by the monitoring network only). Otherwise 404, or 401 when a
  token is set and the request did not give it.

Both health addresses are public and cheap; they say nothing about the data.
"""

from __future__ import annotations

import hmac
import time
from functools import lru_cache

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy import text

from crm import ROOT
from crm.extensions import db
from crm.observability.metrics import render

bp = Blueprint("health", __name__)

BROKER_TIMEOUT = 2  # seconds: a readiness probe must answer before the prober gives up


@bp.route("/livez")
def livez():
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    checks = {"database": _check_database(), "schema": _check_schema(), "broker": _check_broker()}
    ready = all(outcome == "ok" for outcome in checks.values())
    response = jsonify(status="ok" if ready else "unavailable", checks=checks)
    response.status_code = 200 if ready else 503
    return response


def _check_database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as error:  # noqa: BLE001 - any failure makes the process unready
        return f"failed: {type(error).__name__}"
    finally:
        db.session.rollback()


def _check_schema() -> str:
    heads = _migration_heads()
    if heads is None:
        return "ok"  # installed without the migrations folder: nothing to compare with
    try:
        current = set(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except Exception as error:  # noqa: BLE001
        return f"failed: no migration recorded ({type(error).__name__})"
    finally:
        db.session.rollback()
    if current != heads:
        return f"failed: database at {', '.join(sorted(current)) or 'no revision'}, code expects {', '.join(sorted(heads))}"
    return "ok"


@lru_cache(maxsize=1)
def _migration_heads() -> frozenset[str] | None:
    from alembic.script import ScriptDirectory

    folder = ROOT / "migrations"
    if not folder.is_dir():
        return None
    return frozenset(ScriptDirectory(str(folder)).get_heads())


def _check_broker() -> str:
    from kombu import Connection

    url = current_app.config["CELERY_BROKER_URL"]
    started = time.monotonic()
    try:
        with Connection(url, connect_timeout=BROKER_TIMEOUT) as connection:
            connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
        return "ok"
    except Exception as error:  # noqa: BLE001
        return f"failed: {type(error).__name__} after {time.monotonic() - started:.1f} s"


@bp.route("/metrics")
def metrics():
    allowed = _metrics_allowed()
    if allowed is not True:
        return allowed
    body, headers = render()
    return Response(body, headers=headers)


def _metrics_allowed() -> bool | tuple[str, int, dict]:
    token = current_app.config.get("METRICS_TOKEN") or ""
    bind = current_app.config.get("METRICS_BIND") or ""
    if bind and _arrived_on(bind):
        return True
    if token:
        given = request.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
        return "", 401, {"WWW-Authenticate": 'Bearer realm="metrics"'}
    return "", 404, {}


def _arrived_on(bind: str) -> bool:
    """The request came in on the metrics listener. gunicorn sets SERVER_NAME/SERVER_PORT
    from the socket that accepted the connection, not from the Host header, so a client on
    the public address cannot claim the metrics one."""
    host, _, port = bind.rpartition(":")
    environ = request.environ
    if environ.get("SERVER_PORT") != port:
        return False
    return host in ("", "0.0.0.0", "::", "[::]") or environ.get("SERVER_NAME") == host.strip("[]")  # noqa: S104
