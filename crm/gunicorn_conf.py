"""gunicorn settings for the CRM's web processes: ``gunicorn -c python:crm.gunicorn_conf ...``.

- ``child_exit``: with ``PROMETHEUS_MULTIPROC_DIR`` set (metrics in multi-process mode,
  crm.observability.metrics), a worker that exits has its live-gauge files marked dead, so
  ``/metrics`` stops adding up numbers of a process that no longer exists. (The CRM's own
  metrics are counters and histograms, which keep counting across restarts, as Prometheus
  expects; the hook is what the client's documentation asks of every gunicorn set-up.)
- ``on_starting``: gunicorn's own log lines (start, worker boot, timeouts) in the CRM's
  format, JSON with ``CRM_LOG_FORMAT=json``.

There is no access log here on purpose: the CRM logs one line per request itself, with the
endpoint's name instead of the path (paths and query strings hold search words and
calendar tokens), the status, the time and the request id.
"""

from __future__ import annotations

import logging
import os


def on_starting(server) -> None:
    from crm.observability import logs

    log_format = os.environ.get("CRM_LOG_FORMAT", "text").lower()
    logs.configure(log_format, logging.getLevelName(os.environ.get("CRM_LOG_LEVEL", "INFO").upper()))
    logs.format_handlers(logging.getLogger("gunicorn.error"), log_format)


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
