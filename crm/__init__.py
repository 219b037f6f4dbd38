"""Werkgeverscrm: the shared CRM of a partnership for employer services."""

from __future__ import annotations

import logging
from pathlib import Path

from apiflask import APIFlask
from flask import Flask

from config import INSTANCE_DIR, Config, ConfigError, config_from_env, secret_key

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: type[Config] | None = None) -> Flask:
    config = config or config_from_env()
    configure_logging(config)
    config.check()
    # APIFlask is Flask plus the partner API's OpenAPI document (crm/api): with no spec or docs
    # route of its own and Flask's own error pages for everything outside /api/v1.
    app = APIFlask(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str(INSTANCE_DIR),
        spec_path=None,
        docs_path=None,
        json_errors=False,
    )
    app.config.from_object(config)
    app.config["SECRET_KEY"] = secret_key(config)
    trust_proxies(app)
    register_observability(app)
    register_extensions(app)
    register_security(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def configure_logging(config: type[Config]) -> None:
    """The first step of every process (web, worker, beat, CLI): one format on stderr
    (``CRM_LOG_FORMAT``: text or json, with the request id), and the level of the
    application's own loggers from ``CRM_LOG_LEVEL`` (crm.observability.logs)."""
    from crm.observability import logs

    level = logging.getLevelName(config.LOG_LEVEL)
    if not isinstance(level, int):
        raise ConfigError(f"CRM_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {config.LOG_LEVEL!r}.")
    if config.LOG_FORMAT not in ("text", "json"):
        raise ConfigError(f"CRM_LOG_FORMAT must be text or json, not {config.LOG_FORMAT!r}.")
    logs.configure(config.LOG_FORMAT, level)


def trust_proxies(app: Flask) -> None:
    """Behind ``PROXY_HOPS`` reverse proxies, take the client's address and scheme from the
    X-Forwarded-For/-Proto headers they add (the Host header is passed on by the proxy). With
    0 hops those headers are ignored: a client could forge them to escape the sign-in limits."""
    hops = app.config["PROXY_HOPS"]
    if hops < 0:
        raise ConfigError(f"CRM_PROXY_HOPS must be 0 or more, not {hops}.")
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def register_observability(app: Flask) -> None:
    """Before every other hook: the request id (so their log lines carry it) and the clock."""
    from crm.observability import logs, metrics

    logs.init_app(app)
    metrics.init_app(app)


def register_extensions(app: Flask) -> None:
    from crm.auth.session import load_user
    from crm.extensions import babel, csrf, db, limiter, login_manager
    from crm.i18n import select_locale

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        Path(app.instance_path).mkdir(exist_ok=True)
    from crm.database import configure_engine, engine_options, init_replica

    pgbouncer = bool(app.config.get("DATABASE_PGBOUNCER"))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], pgbouncer=pgbouncer, base=app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    )
    db.init_app(app)
    with app.app_context():
        configure_engine(
            db.engine,
            random_page_cost=app.config.get("PG_RANDOM_PAGE_COST"),
            parallel_workers=app.config.get("PG_PARALLEL_WORKERS"),
            pgbouncer=pgbouncer,
        )
    init_replica(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)


def register_security(app: Flask) -> None:
    from crm.security import register

    register(app)


def register_blueprints(app: Flask) -> None:
    from crm.admin.views import bp as admin_bp
    from crm.api_clients.views import bp as api_clients_bp
    from crm.audit.views import bp as audit_bp
    from crm.auth import reauth, two_factor  # noqa: F401  (they add their routes to the auth blueprint)
    from crm.auth.views import bp as auth_bp
    from crm.calendar.views import bp as calendar_bp
    from crm.contacts.views import bp as contacts_bp
    from crm.employers import listing, views  # noqa: F401  (they add their routes to the blueprint)
    from crm.employers.blueprint import bp as employers_bp
    from crm.exports.views import bp as exports_bp
    from crm.health.views import bp as health_bp
    from crm.imports.views import bp as imports_bp
    from crm.notifications.views import bp as notifications_bp
    from crm.pages.views import bp as pages_bp
    from crm.participants.views import bp as participants_bp
    from crm.partners.views import bp as partners_bp
    from crm.pipeline.views import bp as pipeline_bp
    from crm.privacy.views import bp as privacy_bp
    from crm.trajectories.views import bp as trajectories_bp
    from crm.vacancies.views import bp as vacancies_bp
    from crm.worklist.views import bp as worklist_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(worklist_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(employers_bp)
    app.register_blueprint(imports_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(contacts_bp)
    app.register_blueprint(vacancies_bp)
    app.register_blueprint(participants_bp)
    app.register_blueprint(trajectories_bp)
    app.register_blueprint(partners_bp)
    app.register_blueprint(pipeline_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(pages_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(admin_bp, url_prefix="/beheer")
    app.register_blueprint(calendar_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(api_clients_bp)
    register_api(app)


def register_api(app: Flask) -> None:
    from crm.api.views import register

    register(app)


def register_errorhandlers(app: Flask) -> None:
    from crm.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from crm.templating import register

    register(app)


def register_cli(app: Flask) -> None:
    from crm.cli import crm_cli

    app.cli.add_command(crm_cli)
