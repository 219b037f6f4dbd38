"""Response headers and session lifetime."""

import time

from tests.conftest import login_as


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # production only


def test_signed_in_pages_are_not_cached(client, factories):
    login_as(client, factories.UserFactory())
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_no_inline_scripts_in_any_template():
    import re
    from pathlib import Path

    for template in Path("templates").rglob("*.html"):
        html = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, f"inline script in {template}: {tag}"
        assert not re.search(r"\son(click|change|submit|load|input)=", html), f"inline handler in {template}"


def test_idle_session_expires(app, client, factories):
    login_as(client, factories.UserFactory())
    with client.session_transaction() as sess:
        sess["seen_at"] = int(time.time()) - 31 * 60
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/").status_code == 302


def test_absolute_session_limit(app, client, factories):
    login_as(client, factories.UserFactory())
    with client.session_transaction() as sess:
        sess["signed_in_at"] = int(time.time()) - 13 * 3600
    assert client.get("/").status_code == 302


def test_activity_keeps_session_alive(client, factories):
    login_as(client, factories.UserFactory())
    with client.session_transaction() as sess:
        sess["seen_at"] = int(time.time()) - 29 * 60
    assert client.get("/").status_code == 200
    with client.session_transaction() as sess:
        assert int(time.time()) - sess["seen_at"] < 5
