import pytest

from config import ConfigError, ProductionConfig, config_from_env


def test_production_refuses_to_start_without_secret_and_database(monkeypatch):
    monkeypatch.delenv("CRM_SECRET_KEY", raising=False)
    monkeypatch.delenv("CRM_DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match="CRM_SECRET_KEY is not set.*CRM_DATABASE_URL is not set"):
        ProductionConfig.check()


def test_production_starts_with_both(monkeypatch):
    monkeypatch.setenv("CRM_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("CRM_DATABASE_URL", "postgresql+psycopg://crm@db/crm")
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
