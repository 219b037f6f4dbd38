"""Run the whole CRM on one machine: web, Celery worker and Celery beat (``make run``).

The embedded default keeps everything in ``instance/``: the SQLite database, the SQLite
broker, the sign-in counters (``limits.sqlite``, shared by the web workers), the session key
(``secret_key``, made on first start, owner-only) and the e-mail outbox. Every process reads
the same key and counters from there. Stop with Ctrl-C; if one process dies, all are stopped.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from config import INSTANCE_DIR, config_from_env, secret_key

HOST = os.environ.get("CRM_HOST", "127.0.0.1")
PORT = int(os.environ.get("CRM_PORT", "5000"))
BIN = Path(sys.executable).parent


def commands(instance: Path, *, host: str = HOST, port: int = PORT) -> dict[str, list[str]]:
    return {
        "web": [
            str(BIN / "gunicorn"),
            "--workers",
            "2",
            "--bind",
            f"{host}:{port}",
            # Settings (crm/gunicorn_conf.py): the metrics hook, our log format. No access
            # log: the CRM logs each request itself, without paths or query strings.
            "--config",
            "python:crm.gunicorn_conf",
            # gunicorn's control socket defaults to one path per user (~/.gunicorn): a second
            # checkout running beside this one would take it over. Nothing here uses it.
            "--no-control-socket",
            "crm:create_app()",
        ],
        # Without -Q a worker consumes every queue: mail, bulk, housekeeping and the default.
        "worker": [str(BIN / "celery"), "-A", "tasks.worker", "worker", "--loglevel", "INFO", "--concurrency", "2"],
        "beat": [
            str(BIN / "celery"),
            "-A",
            "tasks.worker",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(instance / "celerybeat-schedule"),
        ],
    }


def banner() -> str:
    from crm.demo import DEMO_LOGINS, DEMO_PASSWORD

    config = config_from_env()
    lines = [
        "",
        f"  Werkgeverscrm draait op  http://{HOST}:{PORT}/",
        "",
        f"  Demo-aanmeldingen (wachtwoord: {DEMO_PASSWORD}):",
        *(f"    {email:<42} {role}" for email, role in DEMO_LOGINS),
        "",
        f"  Database: {config.SQLALCHEMY_DATABASE_URI}",
        f"  E-mail (uitgaand): {config.SMTP_HOST or config.MAIL_OUTBOX_DIR}",
        "  Stoppen: Ctrl-C",
        "",
    ]
    return "\n".join(lines)


def wait_until_ready(timeout: float = 60.0) -> str | None:
    """Wait for ``/readyz`` (database at the newest schema, broker answering) before printing
    the banner (it would scroll away under start-up logs). Returns what was still failing
    when the time ran out, or None when ready."""
    deadline = time.monotonic() + timeout
    last = "the web server did not answer"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{PORT}/readyz", timeout=5):  # noqa: S310
                return None
        except urllib.error.HTTPError as error:  # 503: answered, not ready yet
            last = error.read().decode(errors="replace")
        except OSError:
            pass
        time.sleep(0.5)
    return last


def metrics_directory(instance: Path) -> Path:
    """Prometheus multi-process mode: an empty folder per start, shared by web and worker."""
    folder = instance / "metrics"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    return folder


def main() -> int:
    instance = INSTANCE_DIR
    instance.mkdir(exist_ok=True)
    config = config_from_env()
    secret_key(config)  # the session key: made here, once, before the processes that read it start
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(metrics_directory(instance))}
    processes = {name: subprocess.Popen(cmd, env=env) for name, cmd in commands(instance).items()}  # noqa: S603
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    problem = wait_until_ready()
    if problem is None:
        print(banner(), flush=True)
    elif not stopping:
        print(f"\n  Werkgeverscrm is niet gereed (/readyz): {problem}\n", flush=True)
    exit_code = 0
    while not stopping:
        for name, process in processes.items():
            if process.poll() is not None:
                print(f"\n  {name} is gestopt (code {process.returncode}); alles wordt gestopt.", flush=True)
                exit_code, stopping = 1, True
        time.sleep(0.5)
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
