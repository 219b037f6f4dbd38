"""Browser tests: Playwright driving Debian's chromium against a live server on loopback.

The live server is a second app on its own database (a fresh SQLite file, or on PostgreSQL a
database next to the test database), so it sees only what these tests put there.
Without chromium the tests are skipped with a clear reason, unless CRM_REQUIRE_BROWSER=1
(as in .ci/run), where a missing browser fails them.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from crm.extensions import db
from tests.conftest import migrated_app, side_database_url
from tests.factories import PASSWORD

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    exports = tmp_path_factory.mktemp("browser-exports")
    app = migrated_app(side_database_url(tmp_path_factory, "browser"), EXPORT_FOLDER=str(exports))
    yield app
    with app.app_context():
        db.engine.dispose()


def buffered(app):
    """Each response read whole (and closed) before the server writes it. Werkzeug's development
    server skips closing the response when the browser drops a connection early, and the open
    static file then warns when it is collected, in whatever test runs at that moment."""

    def wsgi(environ, start_response):
        iterable = app(environ, start_response)
        try:
            return [b"".join(iterable)]
        finally:
            if hasattr(iterable, "close"):
                iterable.close()

    return wsgi


@pytest.fixture(scope="session")
def live_server(live_app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, buffered(live_app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def live_db(live_app):
    """An app context on the live server's database; commit what the browser must see."""
    with live_app.app_context():
        yield db.session
        db.session.remove()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        message = "chromium is not installed (apt-get install chromium): browser tests skipped"
        if os.environ.get("CRM_REQUIRE_BROWSER") == "1":
            pytest.fail(message.replace("skipped", "required by CRM_REQUIRE_BROWSER=1"))
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server, locale="nl-NL", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def sign_in(page, email: str) -> None:
    """Sign in through the form and wait until the worklist is ready for a tap: the deferred
    scripts have run (``load``), so htmx has wired up its links; a tap before that would
    follow the plain link instead (the page still works, but the test means the htmx path)."""
    from playwright.sync_api import expect

    page.goto("/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("heading", name="Mijn werkvoorraad")).to_be_visible()
    page.wait_for_load_state("load")
