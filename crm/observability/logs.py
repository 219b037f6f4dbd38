"""Log lines: one format per process, a request id on every record, no personal data.

- ``CRM_LOG_FORMAT=json`` writes one JSON object per line (time, level, logger, message,
  process, request id, and the exception's traceback when there is one); ``text`` (the
  default) keeps the familiar single line. Both go to stderr.
- The request id comes from a sane incoming ``X-Request-ID`` (a proxy's, so one id follows a
  request through every hop) or is made here; it is sent back as a response header and
  travels in the headers of every Celery task the request queues, so the worker's lines for
  that task carry it too. A task started by beat gets its own task id as request id.
- Log calls in the CRM name records by id, never by name, e-mail address or note text (the
  test ``tests/test_log_hygiene.py`` scans the output of a demo run). As a second line of
  defence the formatters blank out anything shaped like an e-mail address: a mail server's
  refusal quotes the recipient, and such text reaches the logs through error messages.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
from datetime import UTC, datetime

REQUEST_ID_HEADER = "X-Request-ID"
# Celery message header; underscores, since some brokers' header tables dislike dashes.
TASK_HEADER = "crm_request_id"

# A proxy's request id is kept when it looks like one (letters, digits and - _ . : only, at
# most 64 characters): anything else could smuggle text, or a line break, into the logs.
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("crm_request_id", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s [%(request_id)s]"


def new_request_id() -> str:
    return secrets.token_hex(8)


def accept_request_id(incoming: str | None) -> str:
    """The incoming id when it is sane, else a new one."""
    if incoming and _SANE_ID.fullmatch(incoming):
        return incoming
    return new_request_id()


def redact(text: str) -> str:
    return _EMAIL.sub("<e-mail>", text)


def _install_record_factory() -> None:
    """Every record, from any logger and under any handler (gunicorn's, Celery's, pytest's),
    gets ``request_id``: the current request's or task's, else "-"."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "crm_request_id", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        record.request_id = request_id.get() or "-"
        return record

    factory.crm_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class TextFormatter(logging.Formatter):
    def __init__(self, fmt: str | None = TEXT_FORMAT, *args, **kwargs):
        super().__init__(fmt, *args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = "-"
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Fields passed with ``extra=`` that are plain values (ids,
    counts, durations, endpoint names) are included; the message is formatted first."""

    _STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
            "request_id": getattr(record, "request_id", None) or "-",
        }
        for key, value in vars(record).items():
            if key not in self._STANDARD and not key.startswith("_") and isinstance(value, str | int | float | bool):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return redact(json.dumps(entry, ensure_ascii=False, default=str))


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def configure(log_format: str, level: int) -> None:
    """The first step of every process (web, worker, beat, CLI): the record factory, a stderr
    handler on the root logger in the chosen format (or, when a host configured logging
    already, gunicorn or Celery or pytest, that format on its handlers), and the level of
    the application's own loggers."""
    _install_record_factory()
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig()
    for handler in root.handlers:
        if _ours_to_format(handler):
            handler.setFormatter(formatter(log_format))
    for name in ("crm", "tasks", "config"):
        logging.getLogger(name).setLevel(level)


def _ours_to_format(handler: logging.Handler) -> bool:
    # pytest's capture handlers keep their own format (the tests read records, not lines).
    return type(handler).__module__.split(".")[0] not in ("_pytest", "pytest")


def format_handlers(logger: logging.Logger, log_format: str) -> None:
    """Celery configures its own handlers after the app is made: give them our format too."""
    for handler in logger.handlers:
        handler.setFormatter(formatter(log_format))


# --- requests ---------------------------------------------------------------------------

QUIET_ENDPOINTS = {"health.livez", "health.readyz", "health.metrics", "static"}
request_log = logging.getLogger("crm.request")


def init_app(app) -> None:
    """Register first, so every other hook's log lines carry the id."""
    app.before_request(_take_request_id)
    app.after_request(_answer_request_id)
    app.teardown_request(_forget_request_id)


def _take_request_id() -> None:
    from flask import g, request

    g.crm_request_id_token = request_id.set(accept_request_id(request.headers.get(REQUEST_ID_HEADER)))


def _answer_request_id(response):
    """The id goes back to the client; one line per request is logged: the endpoint's name
    (never the path or query, which hold search words and calendar tokens), status and time."""
    from flask import request

    from crm.observability.metrics import request_timing

    rid = request_id.get()
    if rid:
        response.headers[REQUEST_ID_HEADER] = rid
    timing = request_timing()
    if timing is not None:
        seconds, statements, db_seconds = timing
        endpoint = request.endpoint or "none"
        request_log.log(
            logging.DEBUG if endpoint in QUIET_ENDPOINTS else logging.INFO,
            "%s %s %s in %.1f ms (%s SQL statements, %.1f ms)",
            request.method,
            endpoint,
            response.status_code,
            seconds * 1000,
            statements,
            db_seconds * 1000,
            extra={
                "endpoint": endpoint,
                "method": request.method,
                "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1),
                "db_statements": statements,
                "db_ms": round(db_seconds * 1000, 1),
            },
        )
    return response


def _forget_request_id(_error=None) -> None:
    from flask import g

    token = g.pop("crm_request_id_token", None)
    if token is not None:
        try:
            request_id.reset(token)
        except ValueError:  # set in another context (a streamed response's generator)
            request_id.set(None)
