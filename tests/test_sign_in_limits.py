"""Sign-in limits counted across every process, and per real client address (issue 16, finding 6).

With ``memory://`` each gunicorn worker counted apart: an account locked after 5 failures was
open again on the other worker, and the per-address limit took ~60 failures instead of 30.
Behind a reverse proxy every user shared the proxy's address. These tests run the shared
SQLite store itself (two storages on one file, several processes at once), the real gunicorn
with two workers as ``make run`` starts it, and the proxy-hops setting.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from limits import parse
from limits.errors import ConfigurationError
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import select

from config import TestingConfig
from crm import ROOT, create_app
from crm.embedded import commands
from crm.extensions import db, limiter
from crm.lib.ratelimit_store import SQLiteStorage
from crm.models import AuditEvent
from tests.conftest import CSRF_RE, Client, migrated_app
from tests.factories import PASSWORD

ACCOUNT_LIMIT = parse("5 per 15 minutes")


@pytest.fixture
def restore_limiter(app):
    """create_app binds the one limiter to the new app's storage; give it back to the test app."""
    yield
    limiter.init_app(app)


# --- the shared store (crm.lib.ratelimit_store) -------------------------------------------------


def test_two_workers_on_one_file_count_together(tmp_path):
    """Each gunicorn worker has its own storage object; they share the instance's file."""
    uri = f"sqlite:///{tmp_path / 'limits.sqlite'}"
    worker_1 = FixedWindowRateLimiter(storage_from_string(uri))
    worker_2 = FixedWindowRateLimiter(storage_from_string(uri))
    assert isinstance(worker_1.storage, SQLiteStorage) and worker_1.storage is not worker_2.storage
    for _ in range(5):
        assert worker_2.test(ACCOUNT_LIMIT, "login-account", "anna@example.nl")
        worker_1.hit(ACCOUNT_LIMIT, "login-account", "anna@example.nl")
    assert not worker_2.test(ACCOUNT_LIMIT, "login-account", "anna@example.nl")  # locked on the other worker too
    assert worker_2.test(ACCOUNT_LIMIT, "login-account", "bert@example.nl")  # per account
    reset_at, remaining = worker_2.get_window_stats(ACCOUNT_LIMIT, "login-account", "anna@example.nl")
    assert remaining == 0 and 14 * 60 < reset_at - time.time() <= 15 * 60
    worker_2.clear(ACCOUNT_LIMIT, "login-account", "anna@example.nl")  # a successful sign-in elsewhere
    assert worker_1.test(ACCOUNT_LIMIT, "login-account", "anna@example.nl")


def test_a_window_that_has_ended_starts_again_from_zero(tmp_path):
    storage = SQLiteStorage(f"sqlite:///{tmp_path / 'limits.sqlite'}")
    assert [storage.incr("k", 1) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3 and time.time() < storage.get_expiry("k") <= time.time() + 1
    time.sleep(1.1)
    assert storage.get("k") == 0
    assert storage.incr("k", 60) == 1  # a new window, with its own expiry
    assert storage.get_expiry("k") > time.time() + 58
    storage.incr("other", 60, amount=4)
    assert storage.reset() == 2 and storage.get("other") == 0 and storage.check()


@pytest.mark.parametrize("uri", ["sqlite://", "sqlite:///"])
def test_an_sqlite_store_without_a_file_is_refused(uri):
    """An in-memory SQLite database would count per process again."""
    with pytest.raises(ConfigurationError, match="needs a file"):
        storage_from_string(uri)


def test_processes_counting_at_once_lose_no_hit(tmp_path):
    """Four processes hit one key 100 times each at the same moment: every increment is atomic,
    so the counts handed out are exactly 1..400, each once."""
    uri = f"sqlite:///{tmp_path / 'limits.sqlite'}"
    start_at = time.time() + 1.5
    script = (
        "import sys, time; from limits.storage import storage_from_string; import crm.lib.ratelimit_store; "
        f"s = storage_from_string({uri!r}); s.get('warm-up'); time.sleep(max(0, {start_at} - time.time())); "
        "print(' '.join(str(s.incr('login-ip/127.0.0.1', 900)) for _ in range(100)))"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(4)
    ]
    counts = [int(n) for process in processes for n in process.communicate(timeout=60)[0].split()]
    assert all(process.returncode == 0 for process in processes)
    assert sorted(counts) == list(range(1, 401))
    assert SQLiteStorage(uri).get("login-ip/127.0.0.1") == 400


# --- trusted proxies (CRM_PROXY_HOPS) -------------------------------------------------------


@pytest.fixture(scope="module")
def proxy_database(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('proxy') / 'crm.sqlite'}"
    with migrated_app(url).app_context():
        db.engine.dispose()
    return url


@pytest.fixture
def app_behind(proxy_database, restore_limiter):
    """An app with ``hops`` trusted proxies and a per-address limit of 3 failed sign-ins."""
    made = []

    def make(hops: int):
        config = type(
            "Config",
            (TestingConfig,),
            {"SQLALCHEMY_DATABASE_URI": proxy_database, "PROXY_HOPS": hops, "LOGIN_IP_LIMIT": "3 per 15 minutes"},
        )
        app = create_app(config)
        app.test_client_class = Client
        limiter.reset()
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def fail_sign_in(client, forwarded_for: str, email: str = "niemand@example.nl"):
    html = client.get("/login", headers={"X-Forwarded-For": forwarded_for}).get_data(as_text=True)
    match = CSRF_RE.search(html)
    token = match.group(1) or match.group(2)
    return client.post(
        "/login",
        data={"email": email, "password": "fout-wachtwoord", "csrf_token": token},
        headers={"X-Forwarded-For": forwarded_for},
    )


def refused_by_address(response) -> bool:
    return response.status_code == 429 and "Er kwamen te veel aanmeldpogingen van dit adres" in response.get_data(
        as_text=True
    )


def test_without_trusted_proxies_a_forged_forwarded_for_is_ignored(app_behind):
    client = app_behind(0).test_client()
    for n in range(3):
        assert fail_sign_in(client, f"198.51.100.{n}").status_code == 200
    assert refused_by_address(fail_sign_in(client, "198.51.100.99"))  # a new forged address does not help


def test_behind_a_proxy_each_client_address_counts_apart(app_behind):
    app = app_behind(1)
    client = app.test_client()
    email = "achter-de-proxy@example.nl"
    for _ in range(3):
        assert fail_sign_in(client, "203.0.113.5", email).status_code == 200
    assert refused_by_address(fail_sign_in(client, "203.0.113.5", email))
    # The proxy appends the address it sees; what the client wrote in front of it is not trusted.
    assert refused_by_address(fail_sign_in(client, "198.51.100.7, 203.0.113.5", email))
    # Another user behind the same proxy is not locked out by the first one.
    assert fail_sign_in(client, "198.51.100.7", email).status_code == 200
    # The Logboek names the client, not the proxy.
    with app.app_context():
        addresses = db.session.scalars(
            select(AuditEvent.ip_address).where(AuditEvent.action == "login_failed", AuditEvent.summary == email)
        ).all()
    assert sorted(addresses) == ["198.51.100.7"] + ["203.0.113.5"] * 3


# --- the real gunicorn with two workers -----------------------------------------------------


class Web:
    """``make run``'s gunicorn (crm.embedded) on a free loopback port, with the worker's pid in
    the access log so a test can see which worker answered."""

    def __init__(self, workdir: Path, database_url: str, **settings: str):
        self.access_log, self.error_log = workdir / "access.log", workdir / "error.log"
        command = commands(workdir, host="127.0.0.1", port=0)["web"]
        command += ["--access-logfile", str(self.access_log), "--access-logformat", "%(p)s %(m)s %(U)s %(s)s"]
        command += ["--error-logfile", str(self.error_log), "--graceful-timeout", "3"]
        env = {
            **{name: value for name, value in os.environ.items() if not name.startswith("CRM_")},
            "CRM_CONFIG": "development",
            "CRM_INSTANCE_DIR": str(workdir),
            "CRM_DATABASE_URL": database_url,
            "CRM_DATABASE_PGBOUNCER": "1" if TestingConfig.DATABASE_PGBOUNCER else "0",
            "CRM_ARGON2_TIME_COST": str(TestingConfig.ARGON2_TIME_COST),
            "CRM_ARGON2_MEMORY_COST": str(TestingConfig.ARGON2_MEMORY_COST),
            **settings,
        }
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)  # noqa: S603
        try:
            self.port = self._wait_until_both_workers_listen()
        except BaseException:
            self.stop()
            raise
        self.cookie = ""

    def _wait_until_both_workers_listen(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.error_log.read_text() if self.error_log.exists() else ""
            port = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log)
            if port and len(re.findall(r"Booting worker with pid", log)) >= 2 and self.get("/login", int(port[1])):
                return int(port[1])
            assert self.process.poll() is None, log
            time.sleep(0.2)
        raise AssertionError(f"gunicorn did not start in {timeout} s:\n{log}")

    @staticmethod
    def get(path: str, port: int) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", path)
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body, headers["Content-Type"] = urlencode(form), "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            cookie = response.getheader("Set-Cookie")
            if cookie and cookie.startswith("session="):
                self.cookie = cookie.split(";", 1)[0]
            return response.status, response.read().decode()
        finally:
            connection.close()

    def sign_in(self, token: str, email: str, password: str) -> tuple[int, str]:
        return self.request("POST", "/login", {"email": email, "password": password, "csrf_token": token})

    def pids_answering(self, status: int) -> set[str]:
        lines = self.access_log.read_text().splitlines() if self.access_log.exists() else []
        return {line.split()[0] for line in lines if line.endswith(f"POST /login {status}")}

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its own process group: master and workers
                self.process.wait(timeout=5)


@pytest.fixture
def web(tmp_path, restore_limiter):
    """A migrated SQLite database with one user, and gunicorn with two workers on it."""
    from tests import factories

    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    side = migrated_app(url)
    with side.app_context():
        factories.UserFactory(email="anna@example.nl")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    started = []

    def start(**settings: str) -> Web:
        started.append(Web(tmp_path, url, **settings))
        return started[-1]

    yield start
    for server in started:
        server.stop()


def test_an_account_locked_on_one_worker_is_locked_on_the_other(web):
    server = web(CRM_LOGIN_IP_LIMIT="40 per 15 minutes")
    status, html = server.request("GET", "/login")
    token = CSRF_RE.search(html)
    token = token.group(1) or token.group(2)
    for _ in range(5):
        status, html = server.sign_in(token, "anna@example.nl", "fout-wachtwoord")
        assert status == 200 and "Onbekend e-mailadres of onjuist wachtwoord" in html
    # Now even the right password waits, whichever worker answers. Pairs of requests at once
    # keep both workers busy, so both get their turn; stop once each has refused.
    answered = []
    with ThreadPoolExecutor(2) as pool:
        for _ in range(10):
            answered += pool.map(lambda _: server.sign_in(token, "anna@example.nl", PASSWORD), range(2))
            time.sleep(0.1)  # the access log is written just after the answer
            if len(server.pids_answering(429)) == 2:
                break
    assert {status for status, _ in answered} == {429}
    assert all("Te veel mislukte pogingen voor dit account" in html for _, html in answered)
    assert len(server.pids_answering(429)) == 2, "only one worker answered"

    # The per-address limit is one count for the whole installation too: every failed attempt
    # so far (5 + the refusals) counted, and the 41st failure in all is refused by address.
    failures = 5 + len(answered)
    while failures < 40:
        status, _html = server.sign_in(token, f"onbekend{failures}@example.nl", "fout-wachtwoord")
        assert status == 200
        failures += 1
    status, html = server.sign_in(token, "nog-iemand@example.nl", "fout-wachtwoord")
    assert status == 429 and "Er kwamen te veel aanmeldpogingen van dit adres" in html


def test_attempts_at_once_get_no_more_answers_than_the_limit(web):
    """Each attempt is counted before its password is checked (one atomic increment), so
    requests in flight together cannot slip past the limit (before: 6 answers of 40)."""
    # The production hashing cost makes each check take a while (an unknown address is hashed
    # too), so both workers are busy at once, as under attack.
    server = web(CRM_LOGIN_IP_LIMIT="100 per 15 minutes", CRM_ARGON2_TIME_COST="3", CRM_ARGON2_MEMORY_COST="65536")
    _status, html = server.request("GET", "/login")
    token = CSRF_RE.search(html)
    token = token.group(1) or token.group(2)
    with ThreadPoolExecutor(4) as pool:
        answered = list(pool.map(lambda _: server.sign_in(token, "niemand@example.nl", "fout-wachtwoord"), range(40)))
    statuses = sorted(status for status, _ in answered)
    assert statuses.count(200) == 5, statuses
    assert statuses.count(429) == 35
