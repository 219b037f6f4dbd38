"""Configuration classes, read from environment variables with safe defaults.

Every setting a deployment may change has an environment variable named ``CRM_*``;
the README lists them. ``DevelopmentConfig`` is the embedded default: SQLite files in
``instance/`` for the data, the Celery broker and the sign-in counters, so nobody needs a
server to try it.

No configuration signs sessions with a key written in the source: anyone could read it and
sign a session cookie for the admin. Production must be given ``CRM_SECRET_KEY``; the embedded
default makes a random key on first start and keeps it in ``instance/secret_key``
(:func:`secret_key_from_file`), which every process of the installation reads.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import stat
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("CRM_INSTANCE_DIR", BASE_DIR / "instance"))


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_str(name: str, default: str) -> str:
    """A setting that always has a value: the default when unset or empty."""
    return env(name) or default


def env_int(name: str, default: int) -> int:
    return int(env_str(name, str(default)))


def env_bool(name: str, default: bool) -> bool:
    return env_str(name, "1" if default else "0").lower() in ("1", "true", "yes", "on")


class ConfigError(RuntimeError):
    """Raised when a configuration cannot run safely."""


# A key shorter than this is refused (outside the tests): 32 random characters carry 128+ bits.
SECRET_KEY_MIN_LENGTH = 32


def secret_key_from_file(path: Path) -> str:
    """The installation's session key, kept in ``path``; made (random) on first start.

    Several processes start at once (web workers, Celery worker and beat) and must all get
    the same key. The new key is written to a file of its own and then linked to ``path``:
    ``link`` fails when ``path`` exists, so exactly one process's key wins, and the file
    appears complete or not at all (a reader never sees a half-written key). Everyone then
    reads ``path``. The file is readable by its owner only (0600); a key file that others
    could read is made owner-only again.
    """
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as file:
                file.write(secrets.token_urlsafe(48) + "\n")
                file.flush()
                os.fsync(file.fileno())
            with contextlib.suppress(FileExistsError):  # another process was first: its key wins
                os.link(draft, path)
        finally:
            draft.unlink(missing_ok=True)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        logging.getLogger(__name__).warning("%s could be read by others; made readable by its owner only", path)
        path.chmod(0o600)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < SECRET_KEY_MIN_LENGTH:
        raise ConfigError(
            f"The secret key file {path} holds less than {SECRET_KEY_MIN_LENGTH} characters. "
            "Delete it: a new key is made at the next start (everyone signs in again)."
        )
    return key


def secret_key(config: type[Config]) -> str:
    """The key that signs sessions: ``CRM_SECRET_KEY``, else the instance's key file."""
    if config.SECRET_KEY:
        if not config.TESTING and len(config.SECRET_KEY) < SECRET_KEY_MIN_LENGTH:
            raise ConfigError(f"CRM_SECRET_KEY is too short (use {SECRET_KEY_MIN_LENGTH}+ random characters).")
        return config.SECRET_KEY
    if config.SECRET_KEY_FILE:
        return secret_key_from_file(config.SECRET_KEY_FILE)
    raise ConfigError("No secret key: set CRM_SECRET_KEY (a long random value).")


def default_base_url() -> str:
    """The address ``make run`` serves on: ``CRM_HOST`` and ``CRM_PORT`` (crm.embedded), so
    that links keep working when the port is moved. A wildcard host is not an address a mail
    reader can open: it becomes this machine's loopback name."""
    host = env_str("CRM_HOST", "127.0.0.1")
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - compared, not bound
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{env_str('CRM_PORT', '5000')}"


class Config:
    # Signs sessions and CSRF tokens. Unset, create_app reads (or makes) SECRET_KEY_FILE;
    # a configuration with neither does not start.
    SECRET_KEY = env("CRM_SECRET_KEY")
    SECRET_KEY_FILE: Path | None = INSTANCE_DIR / "secret_key"
    SQLALCHEMY_DATABASE_URI = env("CRM_DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'crm.sqlite'}")
    # A database error's message would otherwise quote the statement's values (names, notes)
    # into the log line that reports it.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"hide_parameters": True}
    SQLALCHEMY_RECORD_QUERIES = False
    # PostgreSQL: the planner's cost of reading a page out of order, for this application's
    # connections (crm.database). The server's default, 4, is meant for spinning disks; on SSD
    # or with the data in memory it makes the planner read whole tables where the pipeline's
    # covering index is about 1.5x faster (bench/PIPELINE.md). "server" keeps the server's
    # own setting.
    PG_RANDOM_PAGE_COST = env("CRM_PG_RANDOM_PAGE_COST", "1.1")
    # PostgreSQL: parallel workers a query of this application may use. With many users at once
    # every core is busy already; the extra workers only cost CPU (load benchmark: 60 -> 66
    # pages/s without them, docs/SCALING.md step 0). "server" keeps the server's own setting.
    PG_PARALLEL_WORKERS = env("CRM_PG_PARALLEL_WORKERS", "0")
    # The database URLs lead to PgBouncer in transaction pooling mode: no server-side prepared
    # statements, no setting that outlives a transaction (crm.database).
    DATABASE_PGBOUNCER = env_bool("CRM_DATABASE_PGBOUNCER", False)
    # A PostgreSQL streaming replica for the reports, exports and drill-downs (crm.database,
    # ``@reads_from_replica``); unset, everything reads the primary.
    DATABASE_REPLICA_URL = env("CRM_DATABASE_REPLICA_URL")

    CELERY_BROKER_URL = env("CRM_BROKER_URL", f"sqla+sqlite:///{INSTANCE_DIR / 'broker.sqlite'}")
    CELERY_TASK_ALWAYS_EAGER = False

    # Where the CRM is reached, for links in e-mails and the calendar feed (they are made outside
    # a request). Unset, the address the embedded default listens on (CRM_HOST, CRM_PORT).
    BASE_URL = env_str("CRM_BASE_URL", default_base_url())
    TIMEZONE = "Europe/Amsterdam"

    SMTP_HOST = env("CRM_SMTP_HOST", "")
    SMTP_PORT = env_int("CRM_SMTP_PORT", 25)
    SMTP_USER = env("CRM_SMTP_USER", "")
    SMTP_PASSWORD = env("CRM_SMTP_PASSWORD", "")
    SMTP_STARTTLS = env_bool("CRM_SMTP_STARTTLS", False)
    MAIL_FROM = env("CRM_MAIL_FROM", "Werkgeverscrm <crm@localhost>")
    MAIL_OUTBOX_DIR = env("CRM_MAIL_OUTBOX_DIR", str(INSTANCE_DIR / "outbox"))
    SMTP_TIMEOUT = env_int("CRM_SMTP_TIMEOUT", 10)

    # Reminders (crm.services.reminders) and the jobs that send them (tasks/).
    CELERY_QUEUE = env("CRM_CELERY_QUEUE", "celery")
    REMINDER_SCAN_SECONDS = env_int("CRM_REMINDER_SCAN_SECONDS", 60)
    REMINDER_SEND_FROM_HOUR = env_int("CRM_REMINDER_SEND_FROM_HOUR", 7)
    REMINDER_CATCH_UP_DAYS = env_int("CRM_REMINDER_CATCH_UP_DAYS", 7)
    REMINDER_CLAIM_BATCH = env_int("CRM_REMINDER_CLAIM_BATCH", 500)
    REMINDER_SEND_BATCH = env_int("CRM_REMINDER_SEND_BATCH", 50)
    REMINDER_LEASE_SECONDS = env_int("CRM_REMINDER_LEASE_SECONDS", 600)
    REMINDER_RUN_LEASE_SECONDS = env_int("CRM_REMINDER_RUN_LEASE_SECONDS", 60)
    REMINDER_MAX_ATTEMPTS = env_int("CRM_REMINDER_MAX_ATTEMPTS", 8)
    REMINDER_BACKOFF_SECONDS = env_int("CRM_REMINDER_BACKOFF_SECONDS", 60)
    REMINDER_BACKOFF_MAX_SECONDS = env_int("CRM_REMINDER_BACKOFF_MAX_SECONDS", 3600)
    ESCALATION_WORKING_DAYS = env_int("CRM_ESCALATION_WORKING_DAYS", 5)
    QUIET_EMPLOYER_DAYS = env_int("CRM_QUIET_EMPLOYER_DAYS", 90)

    BABEL_DEFAULT_LOCALE = "nl"
    BABEL_DEFAULT_TIMEZONE = "Europe/Amsterdam"
    LANGUAGES = ("nl", "en")

    # argon2id cost; the defaults follow argon2-cffi's RFC 9106 low-memory profile.
    ARGON2_TIME_COST = env_int("CRM_ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_COST = env_int("CRM_ARGON2_MEMORY_COST", 65536)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("CRM_SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    # A session ends after this much inactivity, and in any case this long after sign-in.
    SESSION_IDLE_MINUTES = env_int("CRM_SESSION_IDLE_MINUTES", 30)
    SESSION_ABSOLUTE_HOURS = env_int("CRM_SESSION_ABSOLUTE_HOURS", 12)
    # Sensitive actions (exports of personal data, erasure, role changes, bulk handover) ask
    # for the password again when the last sign-in is older than this.
    REAUTH_MINUTES = env_int("CRM_REAUTH_MINUTES", 15)
    HSTS = False
    # Proxies in front of the CRM that add X-Forwarded-For/-Proto (werkzeug's ProxyFix): the
    # client address is taken this many hops back. 0: the CRM is reached directly and those
    # headers are ignored (a client could write anything in them).
    PROXY_HOPS = env_int("CRM_PROXY_HOPS", 0)
    # Sign-in throttling (Flask-Limiter): per IP address and per account, counted across every
    # process of the installation: an SQLite file in the embedded default (crm.lib.ratelimit_store),
    # Redis in production (e.g. redis://host:6379/1). memory:// counts per process.
    RATELIMIT_STORAGE_URI = env("CRM_RATELIMIT_STORAGE_URL", f"sqlite:///{INSTANCE_DIR / 'limits.sqlite'}")
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_ACCOUNT_LIMIT = env("CRM_LOGIN_ACCOUNT_LIMIT", "5 per 15 minutes")
    LOGIN_IP_LIMIT = env("CRM_LOGIN_IP_LIMIT", "30 per 15 minutes")
    # Requests per API client (crm/api/ratelimit.py), counted in RATELIMIT_STORAGE_URI by all processes.
    API_RATE_LIMIT = env("CRM_API_RATE_LIMIT", "600/minute")
    # Roles that must use two-factor sign-in (TOTP), comma-separated, e.g. "admin,coordinator".
    REQUIRE_2FA_ROLES = tuple(r.strip() for r in (env("CRM_REQUIRE_2FA_ROLES", "") or "").split(",") if r.strip())
    # Participants are anonymised this many months after their last trajectory ended (AVG).
    RETENTION_MONTHS = env_int("CRM_RETENTION_MONTHS", 24)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    PAGE_SIZE = env_int("CRM_PAGE_SIZE", 25)
    # Employer imports: uploaded files wait here between preview and confirm (shared storage
    # when there is more than one web host); the largest file accepted, in rows.
    IMPORT_FOLDER = env("CRM_IMPORT_DIR", str(INSTANCE_DIR / "imports"))
    IMPORT_MAX_ROWS = env_int("CRM_IMPORT_MAX_ROWS", 20000)
    # An uploaded sheet with a value beyond this column, or with more cells (empty ones
    # included) than this, is refused as soon as the reader meets it.
    IMPORT_MAX_COLUMNS = env_int("CRM_IMPORT_MAX_COLUMNS", 100)
    IMPORT_MAX_CELLS = env_int("CRM_IMPORT_MAX_CELLS", 1_000_000)
    MAX_CONTENT_LENGTH = env_int("CRM_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
    # Exports are built by a worker (bulk queue) into a folder per user here (shared storage
    # when workers and web run on different machines); a file is removed this long after it was made.
    EXPORT_FOLDER = env("CRM_EXPORT_DIR", str(INSTANCE_DIR / "exports"))
    EXPORT_KEEP_HOURS = env_int("CRM_EXPORT_KEEP_HOURS", 24)

    # Level of the application's own loggers (crm.*, tasks.*): DEBUG, INFO, WARNING, ERROR.
    LOG_LEVEL = env_str("CRM_LOG_LEVEL", "INFO").upper()
    # "text" (one line per event) or "json" (one JSON object per line), crm.observability.logs.
    LOG_FORMAT = env_str("CRM_LOG_FORMAT", "text").lower()
    # /metrics (crm.health): served with "Authorization: Bearer <token>", or on this separate
    # listener ("host:port", bound by gunicorn next to the public one); neither: not served.
    METRICS_TOKEN = env("CRM_METRICS_TOKEN", "")
    METRICS_BIND = env("CRM_METRICS_BIND", "")

    TESTING = False
    DEBUG = False

    @classmethod
    def check(cls) -> None:
        """Refuse configurations that cannot run safely; overridden where needed."""


class DevelopmentConfig(Config):
    DEBUG = False  # `make run` serves several processes; the debugger stays off


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing"  # noqa: S105
    SECRET_KEY_FILE = None
    RATELIMIT_STORAGE_URI = "memory://"  # one process; the shared store has tests of its own
    SQLALCHEMY_DATABASE_URI = env("CRM_TEST_DATABASE_URL", "sqlite://")
    CELERY_BROKER_URL = env("CRM_TEST_BROKER_URL", "memory://")
    DATABASE_PGBOUNCER = env_bool("CRM_TEST_DATABASE_PGBOUNCER", False)
    DATABASE_REPLICA_URL = None  # the replica's tests make an app of their own (tests/test_replica.py)
    CELERY_TASK_ALWAYS_EAGER = True
    WTF_CSRF_ENABLED = True
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    SERVER_NAME = None
    SMTP_HOST = ""  # never real mail from the unit tests: it is kept in memory (crm.lib.mail)
    MAIL_OUTBOX_DIR = None


class ProductionConfig(Config):
    SECRET_KEY_FILE = None  # production is given its key (CRM_SECRET_KEY)
    SESSION_COOKIE_SECURE = env_bool("CRM_SESSION_COOKIE_SECURE", True)
    HSTS = env_bool("CRM_HSTS", True)

    @classmethod
    def check(cls) -> None:
        problems = []
        key = env("CRM_SECRET_KEY")
        if key is None:
            problems.append("CRM_SECRET_KEY is not set (use a long random value).")
        elif len(key) < SECRET_KEY_MIN_LENGTH:
            problems.append(f"CRM_SECRET_KEY is too short (use {SECRET_KEY_MIN_LENGTH}+ random characters).")
        if env("CRM_DATABASE_URL") is None:
            problems.append("CRM_DATABASE_URL is not set (e.g. postgresql+psycopg://user@host/crm).")
        storage = env("CRM_RATELIMIT_STORAGE_URL")
        if storage is None or storage.split("://")[0] in ("memory", "async+memory"):
            problems.append(
                "CRM_RATELIMIT_STORAGE_URL is not set or counts per process (memory://): every web "
                "process would count failed sign-ins apart. Use Redis, e.g. redis://host:6379/1."
            )
        if problems:
            raise ConfigError("Production configuration refused: " + " ".join(problems))


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    name = env_str("CRM_CONFIG", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise ConfigError(f"CRM_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}.") from None
