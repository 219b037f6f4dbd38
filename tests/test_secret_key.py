"""The session key (issue 16, finding 5): no configuration signs sessions with a constant.

The embedded default made every installation sign its sessions with ``dev-only-not-secret``,
printed in config.py: a cookie signed with it offline opened /beheer/gebruikers as the admin.
Now the embedded default makes a random key in its instance folder on first start (0600),
keeps it, and every process of the installation reads the same one.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from config import ConfigError, DevelopmentConfig, ProductionConfig, secret_key, secret_key_from_file
from crm import ROOT, create_app
from crm.extensions import db, limiter
from tests.conftest import Client, migrated_app

OLD_CONSTANT = "dev-only-not-secret"


def development_config(instance, **settings):
    """The embedded default with its instance folder in ``instance`` (not the checkout's)."""
    return type(
        "Config",
        (DevelopmentConfig,),
        {
            "SECRET_KEY_FILE": instance / "secret_key",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'crm.sqlite'}",
            "RATELIMIT_STORAGE_URI": f"sqlite:///{instance / 'limits.sqlite'}",
            **settings,
        },
    )


@pytest.fixture
def restore_limiter(app):
    """create_app binds the one limiter to the new app's storage; give it back to the test app."""
    yield
    limiter.init_app(app)


def test_no_configuration_but_the_tests_has_a_key_in_the_source():
    assert DevelopmentConfig.SECRET_KEY in (None, os.environ.get("CRM_SECRET_KEY"))
    assert ProductionConfig.SECRET_KEY in (None, os.environ.get("CRM_SECRET_KEY"))
    assert OLD_CONSTANT not in (ROOT / "config.py").read_text()


def test_the_embedded_default_makes_a_random_owner_only_key_and_keeps_it(tmp_path):
    config = development_config(tmp_path, SECRET_KEY=None)
    key = secret_key(config)
    assert key != OLD_CONSTANT and len(key) >= 60
    path = tmp_path / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key(config) == key  # the next start reads it back
    assert secret_key(development_config(tmp_path / "elders", SECRET_KEY=None)) != key  # each installation its own
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".secret_key")] == []  # no drafts left


def test_a_key_file_others_could_read_is_made_owner_only(tmp_path):
    path = tmp_path / "secret_key"
    key = secret_key_from_file(path)
    path.chmod(0o644)
    assert secret_key_from_file(path) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_key_file_that_holds_no_real_key_is_refused(tmp_path):
    path = tmp_path / "secret_key"
    path.write_text(OLD_CONSTANT)
    path.chmod(0o600)
    with pytest.raises(ConfigError, match="holds less than 32 characters"):
        secret_key_from_file(path)


def test_a_short_key_from_the_environment_is_refused_outside_the_tests(tmp_path):
    with pytest.raises(ConfigError, match="CRM_SECRET_KEY is too short"):
        secret_key(development_config(tmp_path, SECRET_KEY=OLD_CONSTANT))


def test_processes_starting_together_all_get_the_one_key(tmp_path):
    """Web workers, Celery worker and beat start at the same moment on a fresh instance folder."""
    start_at = time.time() + 1.5
    script = (
        "import sys, time; from pathlib import Path; from config import secret_key_from_file; "
        f"time.sleep(max(0, {start_at} - time.time())); print(secret_key_from_file(Path(sys.argv[1])))"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path / "secret_key")], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    keys = {process.communicate(timeout=30)[0].strip() for process in processes}
    assert all(process.returncode == 0 for process in processes)
    assert keys == {(tmp_path / "secret_key").read_text().strip()}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]


def test_two_app_instances_on_one_instance_folder_sign_alike(tmp_path, restore_limiter):
    config = development_config(tmp_path, SECRET_KEY=None)
    one, other = create_app(config), create_app(config)
    assert one.secret_key == other.secret_key != OLD_CONSTANT
    cookie = SecureCookieSessionInterface().get_signing_serializer(one).dumps({"_user_id": "1:1"})
    assert SecureCookieSessionInterface().get_signing_serializer(other).loads(cookie) == {"_user_id": "1:1"}


def signed_cookie(secret: str, user) -> str:
    forger = Flask("forger")
    forger.secret_key = secret
    now = int(time.time())
    return (
        SecureCookieSessionInterface()
        .get_signing_serializer(forger)
        .dumps({"_user_id": user.get_id(), "_fresh": True, "signed_in_at": now, "seen_at": now, "password_at": now})
    )


def test_a_cookie_signed_with_the_published_key_signs_nobody_in(tmp_path, restore_limiter):
    """The embedded default as `make run` starts it, with an admin in its database."""
    from tests import factories

    url = f"sqlite:///{tmp_path / 'crm.sqlite'}"
    migrated = migrated_app(url)  # schema and reference lists
    with migrated.app_context():
        db.engine.dispose()
    app = create_app(development_config(tmp_path))
    app.test_client_class = Client
    with app.app_context():
        admin = factories.UserFactory(role="admin", email="beheer@example.nl")
        db.session.commit()
        client = app.test_client()
        client.set_cookie("session", signed_cookie(OLD_CONSTANT, admin))
        response = client.get("/beheer/gebruikers")
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
        # The same cookie signed with the installation's own key does open the page: the
        # refusal above is the key's doing, not a broken cookie.
        client.set_cookie("session", signed_cookie(app.secret_key, admin))
        response = client.get("/beheer/gebruikers")
        assert response.status_code == 200 and "beheer@example.nl" in response.get_data(as_text=True)
        db.session.remove()
        db.engine.dispose()
