import os

import pytest

from config import ConfigError, ProductionConfig, TestingConfig, config_from_env


def test_production_refuses_to_start_without_secret_and_database(monkeypatch):
    monkeypatch.delenv("CRM_SECRET_KEY", raising=False)
    monkeypatch.delenv("CRM_DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match="CRM_SECRET_KEY is not set.*CRM_DATABASE_URL is not set"):
        ProductionConfig.check()


def test_production_starts_with_secret_database_and_a_shared_limiter_store(monkeypatch):
    monkeypatch.setenv("CRM_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("CRM_DATABASE_URL", "postgresql+psycopg://crm@db/crm")
    monkeypatch.setenv("CRM_RATELIMIT_STORAGE_URL", "redis://redis.internal:6379/1")
    ProductionConfig.check()


def test_production_refuses_a_short_secret_key(monkeypatch):
    monkeypatch.setenv("CRM_SECRET_KEY", "dev-only-not-secret")
    monkeypatch.setenv("CRM_DATABASE_URL", "postgresql+psycopg://crm@db/crm")
    monkeypatch.setenv("CRM_RATELIMIT_STORAGE_URL", "redis://redis.internal:6379/1")
    with pytest.raises(ConfigError, match="CRM_SECRET_KEY is too short"):
        ProductionConfig.check()


@pytest.mark.parametrize("storage", [None, "memory://"])
def test_production_refuses_sign_in_counts_per_process(monkeypatch, storage):
    """With memory:// each gunicorn worker counts failed sign-ins apart (issue 16, finding 6)."""
    monkeypatch.setenv("CRM_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("CRM_DATABASE_URL", "postgresql+psycopg://crm@db/crm")
    if storage is None:
        monkeypatch.delenv("CRM_RATELIMIT_STORAGE_URL", raising=False)
    else:
        monkeypatch.setenv("CRM_RATELIMIT_STORAGE_URL", storage)
    with pytest.raises(ConfigError, match=r"CRM_RATELIMIT_STORAGE_URL is not set or counts per process.*redis://"):
        ProductionConfig.check()


def test_unknown_config_name_is_refused(monkeypatch):
    monkeypatch.setenv("CRM_CONFIG", "staging")
    with pytest.raises(ConfigError, match="CRM_CONFIG must be one of"):
        config_from_env()


def test_development_is_the_default(monkeypatch):
    monkeypatch.delenv("CRM_CONFIG", raising=False)
    config = config_from_env()
    assert config.__name__ == "DevelopmentConfig"
    assert config.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
    assert config.CELERY_BROKER_URL.startswith("sqla+sqlite:///")
    assert config.RATELIMIT_STORAGE_URI.startswith("sqlite:///")  # shared by the web workers
    assert config.PROXY_HOPS == 0


# --- PostgreSQL planner setting (crm.database) ---------------------------------------------


def _postgresql_engine(random_page_cost, parallel_workers="0"):
    """An engine on the test database (PostgreSQL only) configured as the application does."""
    import os

    from sqlalchemy import create_engine

    from config import TestingConfig
    from crm.database import configure_engine
    from tests.conftest import pgbouncer_options

    url = os.environ.get("CRM_TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: the setting is PostgreSQL's planner cost")
    engine = create_engine(url, **pgbouncer_options(url))
    configure_engine(
        engine,
        random_page_cost=random_page_cost,
        parallel_workers=parallel_workers,
        pgbouncer=TestingConfig.DATABASE_PGBOUNCER,
    )
    return engine


def test_the_application_connections_plan_for_fast_random_reads():
    from sqlalchemy import text

    engine = _postgresql_engine("1.1")
    try:
        with engine.connect() as connection:
            assert connection.scalar(text("SHOW random_page_cost")) == "1.1"
            assert connection.scalar(text("SHOW max_parallel_workers_per_gather")) == "0"
            connection.rollback()  # a session setting: no transaction's rollback undoes it
            assert connection.scalar(text("SHOW random_page_cost")) == "1.1"
            assert connection.scalar(text("SHOW max_parallel_workers_per_gather")) == "0"
    finally:
        engine.dispose()


def test_server_keeps_the_servers_own_planner_cost():
    from sqlalchemy import text

    engine = _postgresql_engine("server", "server")
    try:
        with engine.connect() as connection:
            for name in ("random_page_cost", "max_parallel_workers_per_gather"):
                assert connection.scalar(text(f"SHOW {name}")) == connection.scalar(
                    text("SELECT reset_val FROM pg_settings WHERE name = :name"), {"name": name}
                )
    finally:
        engine.dispose()


@pytest.mark.parametrize("value", ["fast", "0", "-1", "1e9"])
def test_a_planner_cost_that_is_not_a_sensible_number_is_refused(value):
    from sqlalchemy import create_engine

    from crm.database import configure_engine

    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")  # never connects
    with pytest.raises(ConfigError, match="CRM_PG_RANDOM_PAGE_COST must be a number"):
        configure_engine(engine, random_page_cost=value)


@pytest.mark.parametrize("value", ["two", "-1", "1.5", "100"])
def test_a_number_of_parallel_workers_that_is_not_sensible_is_refused(value):
    from sqlalchemy import create_engine

    from crm.database import configure_engine

    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")  # never connects
    with pytest.raises(ConfigError, match="CRM_PG_PARALLEL_WORKERS must be a whole number"):
        configure_engine(engine, parallel_workers=value)


def test_the_log_level_comes_from_one_setting(monkeypatch):
    import logging

    from crm import create_app

    class Config(TestingConfig):
        LOG_LEVEL = "DEBUG"

    create_app(Config)
    assert logging.getLogger("crm.lib.mail").getEffectiveLevel() == logging.DEBUG
    Config.LOG_LEVEL = "WARNING"
    create_app(Config)
    assert logging.getLogger("tasks.reminders").getEffectiveLevel() == logging.WARNING
    Config.LOG_LEVEL = "LOUD"
    with pytest.raises(ConfigError, match="CRM_LOG_LEVEL"):
        create_app(Config)
    Config.LOG_LEVEL = "INFO"
    create_app(Config)


def test_links_follow_the_port_the_crm_runs_on():
    """``CRM_PORT=5611 make run``: e-mails and the calendar feed link to port 5611, not 5000."""
    import subprocess
    import sys

    environment = {k: v for k, v in os.environ.items() if k not in ("CRM_BASE_URL", "CRM_HOST")}
    environment["CRM_PORT"] = "5611"
    script = (
        "from config import TestingConfig\n"
        "from crm import create_app\n"
        "from crm.lib import mail\n"
        "from pathlib import Path\nfrom crm.embedded import commands\n"
        "app = create_app(TestingConfig)\n"
        "with app.app_context():\n"
        "    print(mail.absolute_url('/meldingen'))\n"
        "print(' '.join(commands(Path(app.instance_path))['web']))\n"
    )
    output = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert "http://127.0.0.1:5611/meldingen" in output
    assert "127.0.0.1:5611" in output.splitlines()[-1]


def test_a_wildcard_host_links_to_the_loopback_address(monkeypatch):
    monkeypatch.setenv("CRM_PORT", "5611")
    monkeypatch.setenv("CRM_HOST", "0.0.0.0")  # noqa: S104
    from config import default_base_url

    assert default_base_url() == "http://127.0.0.1:5611"
