"""What an operator sees of a running CRM: log lines with a request id (``logs``), and
Prometheus metrics of requests, database statements, Celery tasks and the mail queue
(``metrics``). The health and metrics addresses themselves are the ``health`` blueprint.

Kept apart from ``crm/lib`` because the mail-queue gauge reads the domain's delivery table,
and apart from the blueprints because the web app, the Celery worker and gunicorn's master
process all install parts of it."""
