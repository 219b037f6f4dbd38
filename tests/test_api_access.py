"""Access through the API, proven over every API route.

Every route of the ``api`` blueprint is requested by clients of organisation A (member of
partnership P1, involved in the P1 trajectory) and of organisation X (partnership P2), each as
a partner and as an accountmanager client with every scope, by a client of A that lacks just
the route's scope, without a token and with a wrong one. The outcome must match
``API_EXPECTED`` (a route without an entry fails). A refused request must leave the database
unchanged. And what a client is shown must be what the same organisation's user of the same
role may open in the browser: every record in an answer is checked against that user with the
rule of crm/permissions.py, and casework texts of the other partnership never appear.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from crm import permissions
from crm.extensions import db
from crm.lib.clock import today
from crm.models import Contact
from crm.models.api_clients import SCOPES
from tests.access_world import SECRET_P1, SECRET_P2, build_world, fingerprint
from tests.api_support import bearer, make_client

OK = "ok"  # 2xx
# The clients: organisation and role of the principal, and the browser user it must match.
CLIENTS = {
    "a_partner": ("org_a", "partner", "partner"),
    "a_accountmanager": ("org_a", "accountmanager", "accountmanager"),
    "x_partner": ("org_x", "partner", "outsider_partner"),
    "x_accountmanager": ("org_x", "accountmanager", "outsider_accountmanager"),
}
INTERN_A = "INTERN-A alleen voor Hengelo"
FIGURES = {"routes": 0, "checks": 0, "leaks": 0}


def every(outcome) -> dict:
    return dict.fromkeys(CLIENTS, outcome)


def by_role(partner, accountmanager) -> dict:
    return {
        "a_partner": partner,
        "x_partner": partner,
        "a_accountmanager": accountmanager,
        "x_accountmanager": accountmanager,
    }


def by_org(inside, outside) -> dict:
    return {"a_partner": inside, "a_accountmanager": inside, "x_partner": outside, "x_accountmanager": outside}


# rule key -> method -> (expected per client, path arguments, body)
API_EXPECTED: dict[str, dict[str, tuple[dict, dict, object]]] = {
    "api.regions /api/v1/regions": {"GET": (every(OK), {}, None)},
    "api.municipalities /api/v1/municipalities": {"GET": (every(OK), {}, None)},
    "api.sbi_sections /api/v1/sbi-sections": {"GET": (every(OK), {}, None)},
    "api.list_employers /api/v1/employers": {"GET": (every(OK), {}, None)},
    # employers are shared; creating and changing them is for editors (not partners), as on the pages
    "api.create_employer /api/v1/employers": {
        "POST": (
            by_role(403, OK),
            {},
            lambda w: {"name": "Nieuw via API", "contactpersoon_id": w.ids["accountmanager"]},
        )
    },
    "api.get_employer /api/v1/employers/<int:id>": {"GET": (every(OK), {"id": "employer"}, None)},
    "api.update_employer /api/v1/employers/<int:id>": {
        "PATCH": (by_role(403, OK), {"id": "employer"}, {"city": "Almelo"})
    },
    "api.list_people /api/v1/employers/<int:id>/people": {"GET": (every(OK), {"id": "employer"}, None)},
    "api.add_person /api/v1/employers/<int:id>/people": {
        "POST": (by_role(403, OK), {"id": "employer"}, {"name": "Kees Bakker"})
    },
    "api.log_contact /api/v1/employers/<int:id>/contacts": {
        "POST": (every(OK), {"id": "employer"}, {"channel": "telefoon", "summary": "Gebeld via API"})
    },
    "api.employer_timeline /api/v1/employers/<int:id>/timeline": {"GET": (every(OK), {"id": "employer"}, None)},
    "api.my_follow_ups /api/v1/follow-ups": {"GET": (every(OK), {}, None)},
    "api.plan_follow_up /api/v1/follow-ups": {
        "POST": (
            every(OK),
            {},
            lambda w: {
                "employer_id": w.ids["employer"],
                "due_date": str(today() + timedelta(days=3)),
                "subject": "Nabellen",
            },
        )
    },
    # a follow-up on the P1 trajectory: need-to-know (X: 404); A sees it, but only its owner,
    # the contactpersoon and steering change it (403)
    "api.complete /api/v1/follow-ups/<int:id>/complete": {
        "POST": (
            {"a_partner": 403, "a_accountmanager": 403, "x_partner": 404, "x_accountmanager": 404},
            {"id": "trajectory_follow_up"},
            {},
        )
    },
    "api.reschedule /api/v1/follow-ups/<int:id>/reschedule": {
        "POST": (
            {"a_partner": 403, "a_accountmanager": 403, "x_partner": 404, "x_accountmanager": 404},
            {"id": "trajectory_follow_up"},
            {"due_date": str(today() + timedelta(days=9))},
        )
    },
    # (feed helper) the change feed; vacancies: shared, partners change only those their
    # organisation is involved in (the world's vacancy involves A), as on the pages; the
    # world's vacancy is not agreed for publication: no JobPosting (404); casework need-to-know
    "api.changes /api/v1/changes": {"GET": (every(OK), {}, None)},
    "api.list_vacancies /api/v1/vacancies": {"GET": (every(OK), {}, None)},
    "api.create_vacancy /api/v1/vacancies": {
        "POST": (
            {"a_partner": OK, "a_accountmanager": OK, "x_partner": 403, "x_accountmanager": OK},
            {},
            lambda w: {"employer_id": w.ids["employer"], "title": "Via API", "organisation_ids": [w.ids["org_a"]]},
        )
    },
    "api.get_vacancy /api/v1/vacancies/<int:id>": {"GET": (every(OK), {"id": "vacancy"}, None)},
    "api.update_vacancy /api/v1/vacancies/<int:id>": {
        "PUT": (
            {"a_partner": OK, "a_accountmanager": OK, "x_partner": 403, "x_accountmanager": OK},
            {"id": "vacancy"},
            lambda w: {"title": "Gewijzigd via API", "organisation_ids": [w.ids["org_a"]]},
        )
    },
    "api.change_vacancy_status /api/v1/vacancies/<int:id>/status": {
        "POST": (
            {"a_partner": OK, "a_accountmanager": OK, "x_partner": 403, "x_accountmanager": OK},
            {"id": "vacancy"},
            {"to": "intake_gedaan"},
        )
    },
    "api.vacancy_job_posting /api/v1/vacancies/<int:id>/jobposting": {"GET": (every(404), {"id": "vacancy"}, None)},
    "api.list_trajectories /api/v1/trajectories": {"GET": (every(OK), {}, None)},
    "api.get_trajectory /api/v1/trajectories/<int:id>": {"GET": (by_org(OK, 404), {"id": "trajectory"}, None)},
    "api.get_participant /api/v1/participants/<int:id>": {"GET": (by_org(OK, 404), {"id": "participant"}, None)},
}
PUBLIC = {"api.openapi", "api.docs"}


def api_rules(app):
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.") and r.endpoint not in PUBLIC),
        key=lambda r: (r.endpoint, r.rule),
    )


def rule_key(rule) -> str:
    return f"{rule.endpoint} {rule.rule}"


def test_every_api_route_is_in_the_matrix(app):
    keys = {rule_key(r) for r in api_rules(app)}
    assert keys - set(API_EXPECTED) == set(), "API routes without an entry in API_EXPECTED"
    assert set(API_EXPECTED) - keys == set(), "API_EXPECTED names routes that no longer exist"


def pytest_generate_tests(metafunc):
    if "api_rule" in metafunc.fixturenames:
        metafunc.parametrize("api_rule", sorted(API_EXPECTED))


def build(app):
    world = build_world()
    admin = world.users["admin"]
    a_am = world.users["accountmanager"]
    db.session.add(
        Contact(
            employer_id=world.ids["employer"],
            author_id=a_am.id,
            organisation_id=a_am.organisation_id,
            occurred_at=world.users["admin"].created_at,
            channel="bezoek",
            summary=INTERN_A,
            visibility="intern",
        )
    )
    tokens = {}
    for name, (org_key, role, _twin) in CLIENTS.items():
        org = db.session.get(type(admin.organisation), world.ids[org_key])
        tokens[name] = make_client(admin, org, role=role, name=name)[1]
    db.session.commit()
    return world, tokens


def url(rule, world, args) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(world.ids[args[m.group(1)]]), rule.rule)


def send(client, method, path, token, body, world, headers=None):
    headers = bearer(token, **(headers or {})) if token is not None else dict(headers or {})
    if method == "GET":
        return client.get(path, headers=headers)
    payload = body(world) if callable(body) else body
    if method == "PATCH":
        from crm.models import Employer

        employer = db.session.get(Employer, world.ids["employer"])
        headers["If-Match"] = f'"{employer.version}"'
    if method == "PUT" or path.endswith("/status"):  # a vacancy (feed helper's routes)
        from crm.models import Vacancy

        headers["If-Match"] = f'"{db.session.get(Vacancy, world.ids["vacancy"]).version}"'
    return client.open(path, method=method, json=payload, headers=headers)


def shown_records(body) -> list[tuple[str, int]]:
    """(kind, id) of every record an answer shows."""
    found = []
    if not isinstance(body, dict):
        return found
    for item in body.get("items", []) if isinstance(body.get("items"), list) else []:
        if "kind" in item and "at" in item:
            found.append((item["kind"], item["id"]))
        elif "due_date" in item and "subject" in item:
            found.append(("follow_up", item["id"]))
        elif "contactpersoon" in item:
            found.append(("employer", item["id"]))
        elif "is_primary" in item:
            found.append(("employer_contact", item["id"]))
    if "contactpersoon" in body and "id" in body:
        found.append(("employer", body["id"]))
        found += [("employer_contact", p["id"]) for p in body.get("people", [])]
    return found


def test_api_route(app, session, api_rule):
    rule = next(r for r in api_rules(app) if rule_key(r) == api_rule)
    world, tokens = build(app)
    client = app.test_client()
    problems = []
    for method, (expected, args, body) in API_EXPECTED[api_rule].items():
        path = url(rule, world, args)
        scope = getattr(app.view_functions[rule.endpoint], "api_scope", None)
        # without a token, with a wrong one, and (if the route needs one) without its scope
        refused = {"no token": (None, 401), "wrong token": ("wgcrm_" + "x" * 43, 401)}
        if scope:
            org = db.session.get(type(world.users["admin"].organisation), world.ids["org_a"])
            lacking = [s for s in SCOPES if s != scope]
            refused["without " + scope] = (
                make_client(world.users["admin"], org, scopes=lacking, role="accountmanager", name="zonder")[1],
                403,
            )
        for who, (token, status) in refused.items():
            db.session.commit()
            before = fingerprint()
            response = send(client, method, path, token, body, world)
            FIGURES["checks"] += 1
            if response.status_code != status or response.mimetype != "application/problem+json":
                problems.append(f"{method} {path} {who}: expected {status}, got {response.status_code}")
            if fingerprint() != before:
                FIGURES["leaks"] += 1
                problems.append(f"{method} {path} {who}: refused, yet the database changed")
        for name, (_org, _role, twin) in CLIENTS.items():
            db.session.commit()
            savepoint = db.session.get_bind().begin_nested()
            before = fingerprint()
            response = send(client, method, path, tokens[name], body, world)
            changed = fingerprint() != before
            text = response.get_data(as_text=True)
            db.session.commit()
            savepoint.rollback()
            db.session.expire_all()
            FIGURES["checks"] += 1
            want = expected[name]
            ok = response.status_code < 300 if want == OK else response.status_code == want
            if not ok:
                problems.append(f"{method} {path} as {name}: expected {want}, got {response.status_code} {text[:300]}")
            if want != OK and changed:
                FIGURES["leaks"] += 1
                problems.append(f"{method} {path} as {name}: refused, yet the database changed")
            # what the answer shows, the same organisation's user may open in the browser
            user = world.users[twin]
            hidden = [SECRET_P2] if name.startswith("a_") else [SECRET_P1, INTERN_A]
            for secret in hidden:
                if secret in text:
                    FIGURES["leaks"] += 1
                    problems.append(f"{method} {path} as {name} shows {secret!r}")
            if response.status_code < 300:
                for kind, record_id in shown_records(response.get_json()):
                    rule_ = permissions.KINDS[kind]
                    record = db.session.get(rule_.model, record_id)
                    if record is not None and not rule_.can_view(user, record):
                        FIGURES["leaks"] += 1
                        problems.append(f"{method} {path} as {name} shows {kind} {record_id}, hidden from {twin}")
    FIGURES["routes"] += 1
    assert not problems, "\n".join(problems)


def test_the_timeline_is_as_the_browser_shows_it(app, session):
    """Trajectories (with trajectories:read) and intern notes: exactly what the twin sees."""
    world, tokens = build(app)
    client = app.test_client()
    seen = {}
    for name in ("a_accountmanager", "x_accountmanager"):
        response = client.get(
            f"/api/v1/employers/{world.ids['employer']}/timeline?per_page=100", headers=bearer(tokens[name])
        )
        seen[name] = {(i["kind"], i["id"]) for i in response.get_json()["items"]}
        FIGURES["checks"] += 1
    assert ("trajectory", world.ids["trajectory"]) in seen["a_accountmanager"]
    assert ("trajectory", world.ids["trajectory"]) not in seen["x_accountmanager"]
    assert ("trajectory", world.ids["p2_trajectory"]) in seen["x_accountmanager"]
    assert ("contact", world.ids["intern_contact"]) in seen["a_accountmanager"]
    assert ("contact", world.ids["intern_contact"]) not in seen["x_accountmanager"]


def test_zz_api_figures(capsys):
    with capsys.disabled():
        print(
            f"\nAPI access matrix: {FIGURES['routes']} routes, {FIGURES['checks']} client x route x method checks, "
            f"{FIGURES['leaks']} leaks"
        )
    assert FIGURES["leaks"] == 0


@pytest.fixture(autouse=True)
def _fresh_limits():
    from crm.extensions import limiter

    limiter.reset()
