"""Contrast and the other WCAG AA rules on the main pages, checked by axe-core in the browser.

axe-core is vendored like the other front-end assets (crm/static/vendor/axe-core, see its
README) and injected into the page from there: nothing is fetched from the network. The pages
are those of the demo partnership (``crm.demo.seed``), on a live server of their own, so they
hold what a real day holds: overdue follow-ups, "90+ dagen" employers, total rows, charts.
Each page must have no serious or critical violation.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from crm.demo import DEMO_PASSWORD, seed
from crm.extensions import db
from crm.models import Employer, Trajectory, User
from tests.browser.conftest import buffered
from tests.conftest import migrated_app, side_database_url

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory) -> Iterator[tuple[str, dict]]:
    app = migrated_app(side_database_url(tmp_path_factory, "axe"))
    with app.app_context():
        seed(employers=120, echo=lambda _line: None)
        db.session.commit()
        coordinator = db.session.scalar(select(User).where(User.email == "coordinator@demo.werkgeverscrm.nl"))
        manager = db.session.scalar(select(User).where(User.email == "accountmanager@demo.werkgeverscrm.nl"))
        # the account manager's employer with the most history: a full timeline
        employer_id = db.session.scalar(
            select(Employer.id).where(Employer.contactpersoon_id == manager.id).order_by(Employer.id).limit(1)
        )
        trajectory_id = db.session.scalar(select(func.min(Trajectory.id)))
        ids = {"employer": employer_id, "trajectory": trajectory_id, "coordinator": coordinator.email}
        ids["accountmanager"] = manager.email
        db.session.remove()
    server = make_server("127.0.0.1", 0, buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", ids
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def signed_in_page(browser, base_url: str, email: str, width: int = 1366):
    context = browser.new_context(base_url=base_url, locale="nl-NL", viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto("/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(lambda url: "/login" not in url)
    return context, page


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical violations of WCAG 2.1 A/AA on the page as it stands."""
    page.wait_for_load_state("load")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")  # CSP: script-src 'self'
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_AA,
    )
    return [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "nodes": len(v["nodes"]),
            "example": v["nodes"][0]["target"],
            "why": v["nodes"][0].get("failureSummary", "")[:200],
        }
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


PAGES = [
    ("werkvoorraad", "accountmanager", "/"),
    ("werkgevers", "accountmanager", "/werkgevers"),
    ("werkgever", "accountmanager", "/werkgevers/{employer}"),
    ("pijplijn", "coordinator", "/pijplijn"),
    ("ambities", "coordinator", "/pijplijn/ambities"),
    ("vacaturebord", "accountmanager", "/vacatures/bord"),
    ("traject", "coordinator", "/trajecten/{trajectory}"),
]


@pytest.mark.parametrize(("name", "who", "path"), PAGES, ids=[p[0] for p in PAGES])
def test_main_pages_have_no_serious_accessibility_violations(browser, demo_server, name, who, path):
    base_url, ids = demo_server
    context, page = signed_in_page(browser, base_url, ids[who])
    try:
        response = page.goto(path.format(**ids))
        assert response is not None and response.status == 200, path
        violations = axe_violations(page)
        assert violations == [], f"{name}: {violations}"
    finally:
        context.close()
