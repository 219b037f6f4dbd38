"""Load benchmark: signed-in users against a real gunicorn serving the CRM on PostgreSQL.

The page benchmarks (employers_bench.py and the others) time one request at a time through the
Flask test client. What an operator needs to know is different: how many pages per second one
installation serves to many users at once, and how long a user waits when it is busy. So this
benchmark starts gunicorn (1 and 2 web processes), signs users in through the real sign-in form
(session cookie, CSRF token) and lets them work at once without pause (a closed loop: each user
sends its next request when the previous answer is complete), on the seeded national-size
database (100,000 employers, 1,000,000 contacts: ``employers_bench.py seed``).

    python bench/load.py compare --before main --after HEAD   # the table of issue 20 (bench/LOAD.md)
    python bench/load.py run                                  # this checkout only, to stdout
    python bench/load.py profile --page worklist              # py-spy on the worker under load

Each configuration (git ref x web processes) measures:

- **the mix**: 16 users at once, 12 account managers (worklist, employer list, search, employer
  page, logging a contact: the form and its POST with the CSRF token) and 4 coordinators
  (pipeline, employer list, employer page), for ``--seconds`` after ``--warmup``; p50/p95 and
  pages/s per page;
- **each page alone**: 16 users asking only that page (``--alone-seconds`` each), for the share
  of the ceiling; the ceiling is ``--ceiling-path`` (``/livez``: the process answers, nothing
  else; ``/login``, the sign-in page without a session, when the checkout has no ``/livez``).

``compare`` checks each ref out in a temporary git worktree (with the current venv when its
dependencies are the same, else a venv of its own), upgrades the database to the newer ref's
head first (the older code then runs against the newer schema, as it would during a rolling
deploy), and interleaves the configurations (1 process before, after; 2 processes before,
after) so that a change in the machine's load hits both alike.

The client is this file: asyncio, one connection per request (gunicorn's sync workers close
it anyway), stdlib only, so it adds as little CPU as a client can on the same two cores. It
still shares them with the server and PostgreSQL: the figures are those of the whole machine.
Logging a contact writes rows (a few hundred per run, summary "Belronde (load benchmark)");
against 1,000,000 contacts that changes nothing measurable between runs.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import http.cookies
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.parse
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"

# psycopg (to pick employers from the database) lives in the project's venv.
if sys.prefix == sys.base_prefix and VENV_PYTHON.exists() and os.environ.get("CRM_LOAD_REEXEC") != "1":
    os.environ["CRM_LOAD_REEXEC"] = "1"
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), *sys.argv])

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_national"
DEFAULT_REDIS = "redis://127.0.0.1:6379/7"
APP_NAME = "crm-load"  # the server's application_name in PostgreSQL (pg_stat_activity)
PASSWORD = "werkgevers-demo-2026"  # the published demo password (crm.demo.data)
DOMAIN = "demo.werkgeverscrm.nl"
ACCOUNT_MANAGERS = (
    "accountmanager",
    "henk.scholten",
    "fatma.yilmaz",
    "wouter.lansink",
    "jeroen.mensink",
    "linda.brinkhuis",
)
COORDINATORS = ("coordinator", "petra.hofstede")
# Full-text searches of bench/SEARCH.md: 'bouw' matches 10% of the employers.
SEARCHES = (
    "bouw",
    "rikkerink",
    "hoveniersbedrjf",
    "dakdekersbedrijf kampuis",
    "Kamphuis Dakdekkers",
    "Bas Kleinsman",
    "7527 VA",
)
LIST_SORTS = ("", "", "contact_oud", "gemeente", "nieuw")

# The pages of the mix, in the order of the tables, with the p95 target of issue 20 (ms).
PAGES = {
    "worklist": ("werkvoorraad `/`", 300),
    "list": ("employer list `/werkgevers`", 300),
    "search": ("search `/werkgevers?q=`", 500),
    "employer": ("employer page `/werkgevers/<id>`", 300),
    "contact_form": ("contact form `GET .../contactmoment`", 300),
    "contact_post": ("log a contact `POST .../contactmoment`", 300),
    "pipeline": ("pipeline `/pijplijn` (coordinator)", 300),
}
AM_MIX = (("worklist", 3), ("list", 2), ("search", 2), ("employer", 3), ("contact", 1))
COORDINATOR_MIX = (("pipeline", 3), ("list", 2), ("employer", 3))
# Pages whose throughput alone must reach 25% of the ceiling (issue 20).
ALONE = ("worklist", "list", "employer")
SHARE_TARGET = 0.25


def log(message: str) -> None:
    print(f"[{dt.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# --- a minimal HTTP client ----------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Client:
    """One browser: its cookies, one connection per request (HTTP/1.0, so never chunked)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    async def request(self, method: str, path: str, form: dict | None = None) -> Response:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            head = [f"{method} {path} HTTP/1.0", f"Host: 127.0.0.1:{self.port}", "User-Agent: crm-load"]
            if self.cookies:
                head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
            body = b""
            if form is not None:
                body = urllib.parse.urlencode(form).encode()
                head += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
            # Half-close at once, as the request is complete: gunicorn's sync worker waits after
            # each answer until the client has closed (util.close_graceful, up to 2 s), and a
            # client late to close (CPU-starved, say) would otherwise hold the worker idle.
            writer.write_eof()
            raw = await reader.read()
        finally:
            writer.close()
        header_block, _, payload = raw.partition(b"\r\n\r\n")
        lines = header_block.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
        for name, value in headers:
            if name == "set-cookie":
                jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
                jar.load(value)
                for key, morsel in jar.items():
                    if morsel.value == "" or morsel["max-age"] == "0":
                        self.cookies.pop(key, None)
                    else:
                        self.cookies[key] = morsel.value
        return Response(status, headers, payload)


CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
VALUE = re.compile(r'value="([^"]*)"')


def csrf_token(html: str) -> str:
    tag = CSRF.search(html)
    if tag is None or (value := VALUE.search(tag.group(0))) is None:
        raise RuntimeError("no csrf_token on the page")
    return value.group(1)


async def sign_in(port: int, email: str) -> Client:
    client = Client(port)
    page = await client.request("GET", "/login")
    answer = await client.request(
        "POST", "/login", {"email": email, "password": PASSWORD, "csrf_token": csrf_token(page.text)}
    )
    if answer.status != 302:
        raise RuntimeError(f"sign-in as {email} failed: HTTP {answer.status}")
    return client


# --- the users --------------------------------------------------------------------------------


@dataclass
class Sample:
    page: str
    start: float
    took: float
    ok: bool


@dataclass
class Recorder:
    start: float = 0.0
    end: float = 0.0
    samples: list[Sample] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)
    cpu: list[tuple[float, dict[int, float], dict[int, float]]] = field(default_factory=list)

    def add(self, page: str, start: float, took: float, ok: bool, why: str = "") -> None:
        # Counted when the answer is complete within the window: with 16 users queueing for one
        # process an answer can take longer than a short window, and must still count.
        if self.start <= start + took <= self.end:
            self.samples.append(Sample(page, start, took, ok))
            if not ok:
                self.failures[f"{page}: {why}"] += 1


@dataclass
class World:
    """What the users pick from: employer ids (all, and per account manager's own)."""

    employers: list[int]
    own: dict[str, list[int]]
    description: str = ""


class User:
    def __init__(self, client: Client, kind: str, email: str, world: World, seed: int) -> None:
        self.client, self.kind, self.email, self.world = client, kind, email, world
        self.rng = random.Random(seed)

    async def timed(
        self, recorder: Recorder, page: str, method: str, path: str, expect: int, form=None
    ) -> Response | None:
        start = time.perf_counter()
        try:
            response = await self.client.request(method, path, form)
        except OSError as error:
            recorder.add(page, start, time.perf_counter() - start, False, type(error).__name__)
            return None
        took = time.perf_counter() - start
        ok = response.status == expect
        recorder.add(page, start, took, ok, f"HTTP {response.status}")
        return response

    def employer(self) -> int:
        return self.rng.choice(self.world.employers)

    async def step(self, page: str, recorder: Recorder) -> None:
        rng = self.rng
        if page == "worklist":
            await self.timed(recorder, page, "GET", "/", 200)
        elif page == "list":
            query = {"pagina": rng.randint(1, 40)}
            if sort := rng.choice(LIST_SORTS):
                query["sorteer"] = sort
            await self.timed(recorder, page, "GET", "/werkgevers?" + urllib.parse.urlencode(query), 200)
        elif page == "search":
            await self.timed(
                recorder, page, "GET", "/werkgevers?" + urllib.parse.urlencode({"q": rng.choice(SEARCHES)}), 200
            )
        elif page == "employer":
            await self.timed(recorder, page, "GET", f"/werkgevers/{self.employer()}", 200)
        elif page == "pipeline":
            await self.timed(recorder, page, "GET", "/pijplijn", 200)
        elif page == "contact":
            own = self.world.own.get(self.email) or self.world.employers
            path = f"/werkgevers/{rng.choice(own)}/contactmoment"
            form_page = await self.timed(recorder, "contact_form", "GET", path, 200)
            if form_page is None or form_page.status != 200:
                return
            occurred = dt.datetime.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=rng.randint(5, 600))
            form = {
                "csrf_token": csrf_token(form_page.text),
                "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M"),
                "channel": "telefoon",
                "employer_contact_id": "0",
                "summary": "Belronde (load benchmark)",
                "outcome": "",
                "vacancy_id": "0",
                "visibility": "gedeeld",
                "follow_up_due": "",
                "follow_up_owner_id": "0",
                "follow_up_subject": "",
            }
            await self.timed(recorder, "contact_post", "POST", path, 302, form)
        else:
            raise ValueError(page)

    async def loop(self, pages: tuple[tuple[str, int], ...], recorder: Recorder, stop: float) -> None:
        names, weights = zip(*pages, strict=True)
        while time.perf_counter() < stop:
            await self.step(self.rng.choices(names, weights)[0], recorder)


class Anonymous(User):
    def __init__(self, port: int, path: str) -> None:
        super().__init__(Client(port), "anonymous", "", World([], {}), 0)
        self.path = path

    async def step(self, page: str, recorder: Recorder) -> None:
        await self.timed(recorder, page, "GET", self.path, 200)


async def drive(
    users: list[User], mixes: list[tuple], warmup: float, seconds: float, probe: CpuProbe | None = None
) -> Recorder:
    """All users at once, ``warmup`` seconds unrecorded, then ``seconds`` recorded; the CPU
    time of the web processes and their PostgreSQL backends at the window's start and end."""
    now = time.perf_counter()
    recorder = Recorder(start=now + warmup, end=now + warmup + seconds)

    async def watch() -> None:
        for moment in (recorder.start, recorder.end):
            await asyncio.sleep(max(0.0, moment - time.perf_counter()))
            recorder.cpu.append(await asyncio.to_thread(probe.snapshot))

    loops = [user.loop(mix, recorder, recorder.end) for user, mix in zip(users, mixes, strict=True)]
    await asyncio.gather(*loops, *([watch()] if probe else []))
    return recorder


TICK = os.sysconf("SC_CLK_TCK")


def cpu_of(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of these processes so far (those that are gone left out)."""
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / TICK
    return out


class CpuProbe:
    """The CPU time spent by the server's web processes and by the PostgreSQL backends they
    use (found by the server's ``application_name``): the cost of a page in CPU, which other
    load on the machine changes far less than the wall-clock time."""

    def __init__(self, server: Server, url: str) -> None:
        import psycopg

        self.server = server
        self.conn = psycopg.connect(plain_url(url), autocommit=True)

    def snapshot(self) -> tuple[float, dict[int, float], dict[int, float]]:
        backends = [
            r[0] for r in self.conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", (APP_NAME,))
        ]
        return time.perf_counter(), cpu_of(self.server.worker_pids()), cpu_of(backends)

    def close(self) -> None:
        self.conn.close()


def cpu_per_page(recorder: Recorder) -> dict | None:
    if len(recorder.cpu) != 2:
        return None
    (t0, web0, pg0), (t1, web1, pg1) = recorder.cpu
    n = sum(1 for sample in recorder.samples if t0 <= sample.start + sample.took <= t1)
    if not n:
        return None
    web = sum(v - web0.get(pid, 0.0) for pid, v in web1.items())
    pg = sum(v - pg0.get(pid, 0.0) for pid, v in pg1.items())
    return {"web_ms": 1000 * web / n, "pg_ms": 1000 * pg / n, "cpu_n": n}


EMPTY = {"n": 0, "per_s": 0.0, "p50": float("nan"), "p95": float("nan"), "errors": 0}


def summarise(recorder: Recorder) -> dict:
    seconds = recorder.end - recorder.start
    by_page: dict[str, list[float]] = defaultdict(list)
    errors: Counter = Counter()
    for sample in recorder.samples:
        by_page[sample.page].append(sample.took)
        if not sample.ok:
            errors[sample.page] += 1
    out = {}
    for page, took in by_page.items():
        took.sort()
        out[page] = {
            "n": len(took),
            "per_s": len(took) / seconds,
            "p50": 1000 * statistics.median(took),
            "p95": 1000 * took[max(0, round(0.95 * len(took)) - 1)],
            "errors": errors[page],
        }
    out["_all"] = {"n": len(recorder.samples), "per_s": len(recorder.samples) / seconds}
    if (cpu := cpu_per_page(recorder)) is not None:
        out["_all"].update(cpu)
        if len(by_page) == 1:
            out[next(iter(by_page))].update(cpu)
    if recorder.failures:
        out["_failures"] = dict(recorder.failures.most_common(5))
    return out


# --- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Checkout:
    label: str
    ref: str
    sha: str
    path: Path
    python: Path


def server_env(checkout: Checkout, args, instance: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(
        PYTHONPATH=str(checkout.path),
        CRM_CONFIG="production",
        CRM_SECRET_KEY=args.secret,
        CRM_DATABASE_URL=args.db + ("&" if "?" in args.db else "?") + f"application_name={APP_NAME}",
        CRM_BROKER_URL=args.redis,
        CRM_RATELIMIT_STORAGE_URL=args.redis,
        CRM_SESSION_COOKIE_SECURE="0",
        CRM_HSTS="0",
        CRM_LOGIN_IP_LIMIT="100000 per minute",
        CRM_LOG_LEVEL="WARNING",
        CRM_INSTANCE_DIR=str(instance),
    )
    return env


class Server:
    """gunicorn with ``workers`` processes on a free port, the checkout's code."""

    def __init__(self, checkout: Checkout, workers: int, args) -> None:
        self.checkout, self.workers, self.args = checkout, workers, args
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="crm-load-"))
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        command = [
            str(self.checkout.python), "-m", "gunicorn", "--workers", str(self.workers),
            "--bind", f"127.0.0.1:{self.port}", "--timeout", "120", "--backlog", "2048",
            "--log-level", "warning", "--chdir", str(self.checkout.path),
        ]  # fmt: skip
        if self.args.threads > 1:
            command += ["--threads", str(self.args.threads)]
        command.append("crm:create_app()")
        self.log_file = open(self.dir / "gunicorn.log", "wb")  # noqa: SIM115 - closed in __exit__
        self.process = subprocess.Popen(
            command, cwd=self.checkout.path, env=server_env(self.checkout, self.args, self.dir),
            stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {(self.dir / 'gunicorn.log').read_text()[-2000:]}")
            try:
                status = asyncio.run(Client(self.port).request("GET", "/login")).status
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError("gunicorn did not answer within 90 s")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def pick_ceiling(port: int, wanted: str) -> str:
    status = asyncio.run(Client(port).request("GET", wanted)).status
    return wanted if status == 200 else "/login"


def plain_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def world_from_db(url: str) -> World:
    import psycopg

    with psycopg.connect(plain_url(url)) as conn:
        employers = [
            r[0]
            for r in conn.execute("SELECT id FROM employer WHERE merged_into_id IS NULL AND id % 47 = 0 ORDER BY id")
        ]
        own: dict[str, list[int]] = defaultdict(list)
        rows = conn.execute(
            'SELECT u.email, e.id FROM employer e JOIN "user" u ON u.id = e.contactpersoon_id '
            "WHERE e.merged_into_id IS NULL AND e.id % 7 = 0 ORDER BY e.id"
        )
        for email, employer_id in rows:
            own[email].append(employer_id)
        counts = conn.execute("SELECT (SELECT count(*) FROM employer), (SELECT count(*) FROM contact)").fetchone()
        # docs/SCALING.md, step 0: no parallel query for the CRM's connections (employers_bench.py seed sets it)
        parallel = conn.execute("SHOW max_parallel_workers_per_gather").fetchone()[0]
        # Dead row versions VACUUM could not remove yet (an old transaction anywhere in the
        # cluster, or a replica's hot_standby_feedback, holds them): they make every scan of
        # the table slower, so the report says how many there were.
        dead = dict(
            conn.execute(
                "SELECT relname, n_dead_tup FROM pg_stat_user_tables WHERE relname IN ('employer', 'contact', 'follow_up')"
            ).fetchall()
        )
    if not employers:
        raise SystemExit(f"no employers in {url}: seed it first (bench/employers_bench.py seed)")
    log(f"database: {counts[0]} employers, {counts[1]} contacts; dead rows {dead}")
    return World(
        employers,
        dict(own),
        f"{counts[0]:,} employers, {counts[1]:,} contacts; dead row versions: "
        + ", ".join(f"{table} {n:,}" for table, n in sorted(dead.items()))
        + f"; max_parallel_workers_per_gather = {parallel}",
    )


async def sign_in_all(port: int, emails: list[str]) -> list[Client]:
    gate = asyncio.Semaphore(4)

    async def one(email: str) -> Client:
        async with gate:
            return await sign_in(port, email)

    return await asyncio.gather(*(one(e) for e in emails))


def measure(checkout: Checkout, workers: int, args, world: World) -> dict:
    """One configuration: the mix, then each page alone, then the ceiling."""
    users_n = args.users
    coordinators_n = max(1, users_n // 4)
    ams_n = users_n - coordinators_n
    load_before = os.getloadavg()[0]
    with Server(checkout, workers, args) as server:
        ceiling = pick_ceiling(server.port, args.ceiling_path)
        am_emails = [f"{ACCOUNT_MANAGERS[i % len(ACCOUNT_MANAGERS)]}@{DOMAIN}" for i in range(users_n)]
        co_emails = [f"{COORDINATORS[i % len(COORDINATORS)]}@{DOMAIN}" for i in range(coordinators_n)]
        clients = asyncio.run(sign_in_all(server.port, am_emails + co_emails))
        am_clients, co_clients = clients[:users_n], clients[users_n:]
        seed = 1000 * workers
        users = [User(c, "am", e, world, seed + i) for i, (c, e) in enumerate(zip(am_clients, am_emails, strict=True))]
        coordinators = [
            User(c, "coordinator", e, world, seed + 100 + i)
            for i, (c, e) in enumerate(zip(co_clients, co_emails, strict=True))
        ]
        mix_users = users[:ams_n] + coordinators
        mixes = [AM_MIX] * ams_n + [COORDINATOR_MIX] * coordinators_n
        log(f"  {checkout.label}, {workers} process(es): mix, {args.warmup:.0f} + {args.seconds:.0f} s")
        probe = CpuProbe(server, args.db)
        result = {"mix": summarise(asyncio.run(drive(mix_users, mixes, args.warmup, args.seconds, probe)))}
        alone = {}
        for page in args.alone:
            log(f"  {checkout.label}, {workers} process(es): {page} alone, {args.alone_seconds:.0f} s")
            alone[page] = summarise(
                asyncio.run(drive(users, [((page, 1),)] * users_n, 2, args.alone_seconds, probe))
            ).get(page, EMPTY)
        log(f"  {checkout.label}, {workers} process(es): ceiling {ceiling}, {args.alone_seconds:.0f} s")
        anonymous = [Anonymous(server.port, ceiling) for _ in range(users_n)]
        alone["ceiling"] = summarise(
            asyncio.run(drive(anonymous, [(("ceiling", 1),)] * users_n, 2, args.alone_seconds, probe))
        ).get("ceiling", EMPTY)
        result["alone"] = alone
        probe.close()
    result.update(ceiling_path=ceiling, load_before=load_before, load_after=os.getloadavg()[0])
    if "_failures" in result["mix"]:
        log(f"  failures: {result['mix']['_failures']}")
    return result


# --- checkouts --------------------------------------------------------------------------------


def git(*argv: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *argv], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def dependencies(pyproject: Path) -> object:
    project = tomllib.loads(pyproject.read_text())["project"]
    return project.get("dependencies"), project.get("optional-dependencies")


def prepare(label: str, ref: str, parent: Path) -> Checkout:
    """The ref in a temporary worktree, its translations compiled, with a venv that has its
    dependencies (the current one when they are the same)."""
    sha = git("rev-parse", "--verify", f"{ref}^{{commit}}")
    path = parent / label
    git("worktree", "add", "--detach", str(path), sha)
    python = VENV_PYTHON
    if dependencies(path / "pyproject.toml") != dependencies(ROOT / "pyproject.toml"):
        log(f"{label} ({ref}) has other dependencies: a venv of its own (a few minutes)")
        subprocess.run([sys.executable, "-m", "venv", str(path / ".venv")], check=True)
        python = path / ".venv" / "bin" / "python"
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-e", str(path)], check=True, cwd=path)
    compile_translations(python, path)
    probe = subprocess.run(
        [str(python), "-c", "import crm; print(crm.__file__)"],
        cwd=path, env={**os.environ, "PYTHONPATH": str(path)}, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    if not probe.startswith(str(path)):
        raise SystemExit(f"{label}: the venv imports crm from {probe}, not from {path}")
    return Checkout(label, ref, sha[:10], path, python)


def compile_translations(python: Path, path: Path) -> None:
    """The .mo files are not in git (``make translations``)."""
    subprocess.run(
        [str(python.parent / "pybabel"), "compile", "-d", "crm/translations"], cwd=path, check=True, capture_output=True
    )


def upgrade(checkout: Checkout, url: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(checkout.path), "CRM_DATABASE_URL": url}
    subprocess.run([str(checkout.python), "-m", "alembic", "upgrade", "head"], cwd=checkout.path, env=env, check=True)


def remove(checkout: Checkout) -> None:
    subprocess.run(["git", "worktree", "remove", "--force", str(checkout.path)], cwd=ROOT, check=False)


# --- the report -------------------------------------------------------------------------------


def cell(stats: dict | None, target: float | None = None) -> str:
    if not stats:
        return "–"
    mark = ""
    if target is not None:
        mark = " ✓" if stats["p95"] < target else " ✗"
    errors = f", {stats['errors']} errors" if stats.get("errors") else ""
    return f"{stats['p50']:.0f} / {stats['p95']:.0f}{mark} ({stats['per_s']:.1f}/s{errors})"


def cpu_ms(stats: dict) -> float | None:
    return stats["web_ms"] + stats["pg_ms"] if "web_ms" in stats else None


def alone_cell(stats: dict, ceiling: dict, is_ceiling: bool) -> str:
    cpu = cpu_ms(stats)
    spent = f"; CPU {stats['web_ms']:.1f} + {stats['pg_ms']:.1f} ms" if cpu is not None else ""
    if is_ceiling:
        return f"{stats['per_s']:.0f}/s (p95 {stats['p95']:.0f}{spent})"
    share = stats["per_s"] / ceiling["per_s"] if ceiling["per_s"] else 0.0
    mark = "✓" if share >= SHARE_TARGET else "✗"
    by_cpu = ""
    if cpu and (ceiling_cpu := cpu_ms(ceiling)):
        cpu_share = ceiling_cpu / cpu
        by_cpu = f"; by CPU {100 * cpu_share:.0f}% {'✓' if cpu_share >= SHARE_TARGET else '✗'}"
    return f"{stats['per_s']:.1f}/s = {100 * share:.0f}% {mark} (p95 {stats['p95']:.0f}{spent}{by_cpu})"


def machine() -> str:
    try:
        version = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "SHOW server_version"], capture_output=True, text=True
        ).stdout.split()[0]
    except (OSError, IndexError):
        version = "?"
    return f"{os.cpu_count()} cores, PostgreSQL {version}, Python {sys.version.split()[0]}"


def report(runs: list[tuple[Checkout, int, dict]], args, started: dt.datetime, world: World) -> str:
    columns = [(c, w) for c, w, _r in runs]
    results = {(c.label, w): r for c, w, r in runs}
    heads = [f"{w} proc, {c.label} `{c.sha}`" for c, w in columns]
    loads = [f"{r['load_before']:.1f}→{r['load_after']:.1f}" for _c, _w, r in runs]
    ceilings = sorted({r["ceiling_path"] for _c, _w, r in runs})
    lines = [
        f"## Load benchmark, {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"`{' '.join(['python bench/load.py', *sys.argv[1:]])}`",
        "",
        f"Database: {world.description}.",
        "",
        f"Machine: {machine()}; load average (1 min) before→after each configuration: {', '.join(loads)}. "
        f"gunicorn sync workers{f' with {args.threads} threads' if args.threads > 1 else ''}, "
        f"{args.users} signed-in users in a closed loop (no think time): "
        f"mix = {args.users - max(1, args.users // 4)} account managers + {max(1, args.users // 4)} coordinators, "
        f"{args.warmup:.0f} s warm-up + {args.seconds:.0f} s; each page alone {args.alone_seconds:.0f} s "
        f"with {args.users} account managers; ceiling `{'`, `'.join(ceilings)}`.",
        "",
        "### The mix: p50 / p95 in ms (pages/s); ✓ = p95 under the target",
        "",
        "| page | target p95 | " + " | ".join(heads) + " |",
        "|---|---|" + "---|" * len(heads),
    ]
    for page, (label, target) in PAGES.items():
        row = [cell(results[(c.label, w)]["mix"].get(page), target) for c, w in columns]
        lines.append(f"| {label} | < {target} | " + " | ".join(row) + " |")
    lines.append(
        "| **all pages** | | "
        + " | ".join(f"**{results[(c.label, w)]['mix']['_all']['per_s']:.1f}/s**" for c, w in columns)
        + " |"
    )

    def mix_cpu(result: dict) -> str:
        every = result["mix"]["_all"]
        if "web_ms" not in every:
            return "–"
        return f"{every['web_ms']:.1f} + {every['pg_ms']:.1f} ms = {2000 / (every['web_ms'] + every['pg_ms']):.0f}/s"

    lines.append(
        "| CPU per page, web + PostgreSQL = pages/s 2 cores could serve | | "
        + " | ".join(mix_cpu(results[(c.label, w)]) for c, w in columns)
        + " |"
    )
    lines += [
        "",
        "### Each page alone: pages/s and share of the ceiling (target ≥ 25%), p95 in ms",
        "",
        "CPU: seconds of CPU the web processes and their PostgreSQL backends spent per page "
        "(`/proc`), which the machine's other load changes far less than the wall-clock figures; "
        "*by CPU* is the share of the ceiling that cost allows (the ceiling's CPU per page over the page's).",
        "",
        "| page | " + " | ".join(heads) + " |",
        "|---|" + "---|" * len(heads),
    ]
    for page in ["ceiling", *args.alone]:
        label = "ceiling " + "/".join(f"`{p}`" for p in ceilings) if page == "ceiling" else PAGES[page][0]
        row = [
            alone_cell(
                results[(c.label, w)]["alone"][page], results[(c.label, w)]["alone"]["ceiling"], page == "ceiling"
            )
            for c, w in columns
        ]
        lines.append(f"| {label} | " + " | ".join(row) + " |")
    failures = [(c.label, w, r["mix"]["_failures"]) for c, w, r in runs if "_failures" in r["mix"]]
    if failures:
        lines += ["", "Failed requests: " + "; ".join(f"{label} {w} proc: {f}" for label, w, f in failures)]
    return "\n".join(lines) + "\n"


# --- commands ---------------------------------------------------------------------------------


def run_configs(checkouts: list[Checkout], args, world: World) -> list[tuple[Checkout, int, dict]]:
    runs = []
    for workers in args.workers:
        for checkout in checkouts:
            runs.append((checkout, workers, measure(checkout, workers, args, world)))
    return runs


def write(text: str, args, started: dt.datetime, runs) -> None:
    print(text)
    if args.output:
        # the newest run first, under the file's title; the runs before it stay below
        path = Path(args.output)
        title, found, earlier = (path.read_text() if path.exists() else "").partition("\n## ")
        path.write_text(f"{title.rstrip()}\n\n{text.strip()}\n" + (f"\n## {earlier}" if found else ""))
        log(f"written to {args.output}")
    raw = ROOT / "bench" / "results"
    raw.mkdir(exist_ok=True)
    (raw / f"load-{started:%Y%m%d-%H%M}.json").write_text(
        json.dumps([{"label": c.label, "ref": c.ref, "sha": c.sha, "workers": w, **r} for c, w, r in runs], indent=1)
    )


def compare(args) -> None:
    started = dt.datetime.now(dt.UTC)
    parent = Path(tempfile.mkdtemp(prefix="crm-load-refs-"))
    checkouts: list[Checkout] = []
    try:
        for label, ref in (("before", args.before), ("after", args.after)):
            checkouts.append(prepare(label, ref, parent))
        log(f"alembic upgrade head of after ({args.after})")
        upgrade(checkouts[1], args.db)
        world = world_from_db(args.db)
        runs = run_configs(checkouts, args, world)
    finally:
        for checkout in checkouts:
            remove(checkout)
        shutil.rmtree(parent, ignore_errors=True)
    write(report(runs, args, started, world), args, started, runs)


def run(args) -> None:
    started = dt.datetime.now(dt.UTC)
    checkout = Checkout("this checkout", "HEAD", git("rev-parse", "--short=10", "HEAD"), ROOT, VENV_PYTHON)
    compile_translations(VENV_PYTHON, ROOT)
    upgrade(checkout, args.db)
    world = world_from_db(args.db)
    runs = run_configs([checkout], args, world)
    write(report(runs, args, started, world), args, started, runs)


def short_frame(frame: str) -> str:
    """``func (path:line)`` with the path from the package (or the checkout's root) on."""
    return re.sub(r" \(/\S*?(?:site-packages/|/(?=(?:crm|templates|tasks)/))", " (", frame)


LAYERS = (
    ("psycopg/", "PostgreSQL (psycopg: sending, waiting, reading rows)"),
    ("sqlalchemy/", "SQLAlchemy (building statements, loading objects)"),
    ("jinja2/", "templates (Jinja, markupsafe)"),
    ("markupsafe/", "templates (Jinja, markupsafe)"),
    ("templates/", "templates (Jinja, markupsafe)"),
    ("babel/", "Babel (formatting dates, numbers, translations)"),
    ("crm/", "the CRM's own Python"),
    ("werkzeug/", "Flask, Werkzeug, gunicorn, extensions"),
    ("flask", "Flask, Werkzeug, gunicorn, extensions"),
    ("gunicorn/", "Flask, Werkzeug, gunicorn, extensions"),
)


def layer(frame: str) -> str:
    return next((name for key, name in LAYERS if f"({key}" in frame), "other (stdlib, ...)")


def profile(args) -> None:
    """py-spy on the web process while 16 users ask for one page; the functions with the most
    samples (own time, and time including what they call) within the CRM and its libraries."""
    py_spy = shutil.which("py-spy") or str(VENV_PYTHON.parent / "py-spy")
    checkout = Checkout("this checkout", "HEAD", git("rev-parse", "--short=10", "HEAD"), ROOT, VENV_PYTHON)
    world = world_from_db(args.db)
    with Server(checkout, 1, args) as server:
        emails = [f"{ACCOUNT_MANAGERS[i % len(ACCOUNT_MANAGERS)]}@{DOMAIN}" for i in range(args.users)]
        if args.page == "pipeline":
            emails = [f"{COORDINATORS[i % len(COORDINATORS)]}@{DOMAIN}" for i in range(args.users)]
        clients = asyncio.run(sign_in_all(server.port, emails))
        users = [User(c, "am", e, world, i) for i, (c, e) in enumerate(zip(clients, emails, strict=True))]
        out = server.dir / "stacks.txt"
        spy = subprocess.Popen(
            [py_spy, "record", "--pid", str(server.worker_pids()[0]), "--duration", str(int(args.seconds)),
             "--format", "raw", "--output", str(out), "--rate", "200", "--nonblocking"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        stats = summarise(asyncio.run(drive(users, [((args.page, 1),)] * len(users), 1, args.seconds)))
        spy.wait(60)
        own: Counter = Counter()
        total: Counter = Counter()
        layers: Counter = Counter()
        samples = 0
        for line in out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            frames = [short_frame(f) for f in stack.split(";")]
            n = int(count)
            samples += n
            own[frames[-1]] += n
            layers[layer(frames[-1])] += n
            for frame in set(frames):
                total[frame] += n
        dump = ROOT / "bench" / "results" / f"profile-{args.page}.txt"
        dump.parent.mkdir(exist_ok=True)
        shutil.copy(out, dump)
    page = stats.get(args.page, stats.get("contact_form", {}))
    samples = max(samples, 1)
    print(
        f"{args.page}: {page.get('per_s', 0):.1f}/s, p50 {page.get('p50', 0):.0f} ms, p95 {page.get('p95', 0):.0f} ms; {samples} samples"
    )
    print("\nwhere the process spends its time (by the innermost frame's library):")
    for name, n in layers.most_common():
        print(f"  {100 * n / samples:5.1f}%  {name}")
    print("\nown time:")
    for frame, n in own.most_common(args.top):
        print(f"  {100 * n / samples:5.1f}%  {frame}")
    print("\nincluding callees (the CRM's own code and templates):")
    for frame, n in [(f, n) for f, n in total.most_common() if "crm/" in f or "templates/" in f][: args.top]:
        print(f"  {100 * n / samples:5.1f}%  {frame}")
    print(f"\nraw stacks: {dump}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db", default=os.environ.get("CRM_BENCH_DATABASE_URL", DEFAULT_DB), help="seeded database (SQLAlchemy URL)"
    )
    common.add_argument("--redis", default=DEFAULT_REDIS, help="broker and sign-in counters of the server")
    common.add_argument("--users", type=int, default=16, help="concurrent users (a quarter coordinators in the mix)")
    common.add_argument("--threads", type=int, default=1, help="gunicorn threads per process (1: sync workers)")
    common.add_argument("--seconds", type=float, default=30, help="recorded seconds of the mix (profile: of py-spy)")
    common.add_argument("--warmup", type=float, default=5)
    common.add_argument("--secret", default=secrets.token_urlsafe(48), help=argparse.SUPPRESS)
    measured = argparse.ArgumentParser(add_help=False)
    measured.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="gunicorn web processes")
    measured.add_argument(
        "--alone", nargs="*", default=list(ALONE), choices=[p for p in PAGES if not p.startswith("contact")]
    )
    measured.add_argument("--alone-seconds", type=float, default=10)
    measured.add_argument(
        "--ceiling-path", default="/livez", help="the ceiling page (falls back to /login where it is missing)"
    )
    c = sub.add_parser("compare", parents=[common, measured], help="two git refs, interleaved; writes bench/LOAD.md")
    c.add_argument("--before", required=True)
    c.add_argument("--after", required=True)
    c.add_argument("--output", default=str(ROOT / "bench" / "LOAD.md"))
    r = sub.add_parser("run", parents=[common, measured], help="this checkout only")
    r.add_argument("--output", default=None)
    p = sub.add_parser("profile", parents=[common], help="py-spy on one web process under load")
    p.add_argument(
        "--page", default="worklist", choices=["worklist", "list", "search", "employer", "pipeline", "contact"]
    )
    p.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    {"compare": compare, "run": run, "profile": profile}[args.command](args)


if __name__ == "__main__":
    main()
