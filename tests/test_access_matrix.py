"""Access, proven over every route.

Every rule of ``app.url_map`` (but ``static``) is requested by every actor — anonymous, each
role of organisation A (member of partnership P1, involved in the participant's trajectory) and
users of organisation X (partnership P2, involved in nothing) — with the real ids of a built
world, by GET and by POST where the rule accepts it. The outcome must match ``EXPECTED``; a new
route without an entry fails ``test_every_route_is_in_the_matrix``. After every refused request
the fingerprint of the database (row counts, versions, change events) must be unchanged.
"""

from __future__ import annotations

import io
import re

import pytest

from crm.extensions import db
from crm.lib.clock import today
from crm.lib.spreadsheets import ExportFile
from crm.services import export_jobs
from tests.access_world import ACTORS, ICAL_TOKEN, SECRET_P1, SECRET_P2, build_world, fingerprint
from tests.conftest import csrf_token, login_as

A = "anonymous"
ADM, CO, AM, PA = "admin", "coordinator", "accountmanager", "partner"
OAM, OPA, OCO = "outsider_accountmanager", "outsider_partner", "outsider_coordinator"
SIGNED_IN = (ADM, CO, AM, PA, OAM, OPA, OCO)
LOGIN = "login"  # 302 to /login
OK = "ok"  # any status below 400; for a POST also 400/422 (refused by validation)

# Counted by the tests, printed by the last one.
FIGURES = {"routes": 0, "checks": 0, "leaks": 0}


def everyone(outcome, anonymous=LOGIN) -> dict:
    return {A: anonymous, **dict.fromkeys(SIGNED_IN, outcome)}


def roles(anonymous=LOGIN, **by_actor) -> dict:
    """Outcome per actor; ``rest`` for actors not named."""
    rest = by_actor.pop("rest", None)
    table = {A: anonymous, **dict.fromkeys(SIGNED_IN, rest)}
    for name, outcome in by_actor.items():
        table[name] = outcome
    assert None not in table.values(), by_actor
    return table


# Who may do what (crm/permissions.py): admin-only pages (beheer) 403 for others; steering
# (admin, coordinator) 403 for accountmanager/partner; editors (admin, coordinator,
# accountmanager) 403 for partners; participants/trajectories 404 to whoever is not involved.
ADMIN_ONLY = roles(admin=OK, rest=403)
STEERING = roles(admin=OK, coordinator=OK, outsider_coordinator=OK, rest=403)
EDITORS = roles(partner=403, outsider_partner=403, rest=OK)
SHARED = everyone(OK)

EXPECTED: dict[str, dict[str, dict[str, object]]] = {}

# Outsiders (organisation X, partnership P2) see and change nothing of the participant or the
# trajectory: 404 on every such address; organisation A's users (involved as school) work on it.
CASEWORK = roles(outsider_accountmanager=404, outsider_partner=404, outsider_coordinator=404, rest=OK)
# An unknown import token: 404 for who may import, 403 for who may not.
IMPORT_TOKEN = roles(admin=404, coordinator=404, outsider_coordinator=404, rest=403)
# An export job of the accountmanager (finished): hers alone; to everyone else it does not exist.
EXPORT_JOB = roles(accountmanager=200, rest=404)
# A follow-up of the accountmanager: owner, the employer's contactpersoon and steering only.
FOLLOW_UP = roles(partner=403, outsider_accountmanager=403, outsider_partner=403, rest=OK)
# Right of access / erasure: coordinators who see the participant; other roles 403, outsiders 404.
PRIVACY = roles(coordinator=OK, outsider_accountmanager=404, outsider_partner=404, outsider_coordinator=404, rest=403)
# Public pages.
PUBLIC = everyone(200, anonymous=200)
# The partner API answers 401 to every browser session: it reads only a bearer token.
API_TOKEN_ONLY = everyone(401, anonymous=401)


def same(table) -> dict:
    return {"GET": table, "POST": table}


EXPECTED.update(
    {
        # beheer: admins only
        "admin.index /beheer/": {"GET": roles(admin=302, rest=403)},
        "admin.organisation_edit /beheer/organisaties/<int:id>": same(ADMIN_ONLY),
        "admin.organisation_edit /beheer/organisaties/nieuw": same(ADMIN_ONLY),
        "admin.organisations_list /beheer/organisaties": {"GET": ADMIN_ONLY},
        "admin.partnership_edit /beheer/samenwerkingsverbanden/<int:id>": same(ADMIN_ONLY),
        "admin.partnership_edit /beheer/samenwerkingsverbanden/nieuw": same(ADMIN_ONLY),
        "admin.partnerships_list /beheer/samenwerkingsverbanden": {"GET": ADMIN_ONLY},
        "admin.programme_period_delete /beheer/programmaperiodes/<int:id>/verwijderen": same(ADMIN_ONLY),
        "admin.programme_period_edit /beheer/programmaperiodes/<int:id>": same(ADMIN_ONLY),
        "admin.programme_period_edit /beheer/programmaperiodes/nieuw": same(ADMIN_ONLY),
        "admin.programme_periods_list /beheer/programmaperiodes": {"GET": ADMIN_ONLY},
        "admin.user_edit /beheer/gebruikers/<int:id>": same(ADMIN_ONLY),
        "admin.user_new /beheer/gebruikers/nieuw": same(ADMIN_ONLY),
        "admin.user_reset_password /beheer/gebruikers/<int:id>/wachtwoord": {"POST": ADMIN_ONLY},
        "admin.user_reset_two_factor /beheer/gebruikers/<int:id>/tweestaps": {"POST": ADMIN_ONLY},
        "admin.user_set_active /beheer/gebruikers/<int:id>/actief": {"POST": ADMIN_ONLY},
        "admin.users /beheer/gebruikers": {"GET": ADMIN_ONLY},
        # mail the server refused: admins only (an unknown delivery is 404 to them)
        "admin.failed_mail /beheer/mail": {"GET": ADMIN_ONLY},
        "admin.failed_mail_retry /beheer/mail/<int:id>/opnieuw": {"POST": roles(admin=404, rest=403)},
        # logboek: the searchable log for steering; a record's history for who sees the record
        "audit.export /logboek/export.<fmt>": {"GET": STEERING},
        "audit.history /logboek/<object_type>/<int:id>": {"GET": everyone(200)},
        "audit.log /logboek": {"GET": STEERING},
        # own account
        "auth.calendar_link_new /profiel/agenda/nieuw": {"POST": everyone(302)},
        "auth.calendar_link_revoke /profiel/agenda/intrekken": {"POST": everyone(302)},
        "auth.login /login": same(everyone(302, anonymous=200)),
        "auth.logout /logout": {"POST": everyone(302)},
        # the second step of a two-factor sign-in: without a pending sign-in, back to /login
        "auth.login_code /login/code": same(everyone(302)),
        "auth.two_factor_setup /profiel/tweestaps": same(everyone(200)),
        # own recovery codes (nobody of the test world has two-factor on: back to the set-up page)
        "auth.recovery_codes_new /profiel/tweestaps/herstelcodes": {"POST": everyone(302)},
        "auth.profile /profiel": same(everyone(200)),
        "auth.reauthenticate /herbevestigen": same(everyone(200)),
        # the secret token in the address is the key (calendar apps cannot sign in)
        "calendar.feed /agenda/<token>.ics": {"GET": PUBLIC},
        # contacts, follow-ups, notifications
        "contacts.follow_up_done /opvolgacties/<int:id>/afronden": {"POST": FOLLOW_UP},
        "contacts.follow_up_reschedule /opvolgacties/<int:id>/verzetten": {"POST": FOLLOW_UP},
        "contacts.log_contact /werkgevers/<int:employer_id>/contactmoment": same(SHARED),
        "contacts.quick_log /werkgevers/<int:employer_id>/snel-contact": same(SHARED),
        "notifications.read /meldingen/<int:id>/gelezen": {"POST": roles(accountmanager=302, rest=404)},
        "notifications.index /meldingen": {"GET": everyone(200)},
        "notifications.follow /meldingen/<int:id>": {"GET": roles(accountmanager=302, rest=404)},
        "notifications.read_all /meldingen/alles-gelezen": {"POST": everyone(302)},
        # employers: shared; editing for editors; handover, merge and bulk handover for steering
        "employers.bulk_handover /werkgevers/overdracht": same(STEERING),
        "employers.detail /werkgevers/<int:id>": {"GET": everyone(200)},
        "employers.edit /werkgevers/<int:id>/bewerken": same(EDITORS),
        "employers.export /werkgevers/export": {"POST": everyone(302)},
        # export jobs: only the user who asked (here: the accountmanager) reaches one; others 404
        "exports.job /exporten/<token>": {"GET": EXPORT_JOB},
        "exports.progress /exporten/<token>/voortgang": {"GET": roles(accountmanager=302, rest=404)},
        "exports.download /exporten/<token>/bestand": {"GET": EXPORT_JOB},
        "employers.handover /werkgevers/<int:id>/overdracht": same(
            roles(admin=OK, coordinator=OK, outsider_coordinator=OK, accountmanager=OK, rest=403)
        ),
        "employers.index /werkgevers": {"GET": everyone(200)},
        "employers.merge /werkgevers/<int:id>/samenvoegen": same(STEERING),
        "employers.new /werkgevers/nieuw": same(EDITORS),
        "employers.person_delete /werkgevers/<int:id>/personen/<int:person_id>/verwijderen": {"POST": EDITORS},
        "employers.person_edit /werkgevers/<int:id>/personen/<int:person_id>/bewerken": same(EDITORS),
        "employers.person_new /werkgevers/<int:id>/personen/nieuw": same(EDITORS),
        # imports: steering only; someone else's (here: unknown) import is 404
        "imports.cancel /werkgevers/import/<token>/annuleren": {"POST": IMPORT_TOKEN},
        "imports.confirm /werkgevers/import/<token>/bevestigen": {"POST": IMPORT_TOKEN},
        "imports.mapping /werkgevers/import/<token>/kolommen": same(IMPORT_TOKEN),
        "imports.preview /werkgevers/import/<token>/controle": {"GET": IMPORT_TOKEN},
        "imports.progress /werkgevers/import/<token>/voortgang": {"GET": IMPORT_TOKEN},
        "imports.report /werkgevers/import/<token>/afgewezen.csv": {"GET": IMPORT_TOKEN},
        "imports.result /werkgevers/import/<token>/resultaat": {"GET": IMPORT_TOKEN},
        "imports.upload /werkgevers/import": same(STEERING),
        "pages.privacy /privacy": {"GET": PUBLIC},
        # probes: public, no session; metrics only with a token or on their own listener (none in tests)
        "health.livez /livez": {"GET": PUBLIC},
        "health.readyz /readyz": {"GET": PUBLIC},
        "health.metrics /metrics": {"GET": everyone(404, anonymous=404)},
        # participants: every user registers candidates; a participant is need-to-know
        "participants.detail /deelnemers/<int:id>": {"GET": CASEWORK},
        "participants.edit /deelnemers/<int:id>/bewerken": same(CASEWORK),
        "participants.index /deelnemers": {"GET": everyone(200)},
        "participants.new /deelnemers/nieuw": same(SHARED),
        # AVG: right of access and erasure, by a coordinator who sees the participant
        "privacy.access /deelnemers/<int:id>/inzage": {"GET": PRIVACY},
        "privacy.erase /deelnemers/<int:id>/anonimiseren": same(PRIVACY),
        # partners: organisations and partnerships are known to every user
        "partners.index /partners": {"GET": everyone(200)},
        "partners.organisation /partners/<int:id>": {"GET": everyone(200)},
        "partners.partnership /samenwerkingsverbanden/<int:id>": {"GET": everyone(200)},
        # pipeline review and ambitions: steering (drilldown/export without a list: 404)
        "pipeline.ambition_edit /pijplijn/ambities/invullen": same(STEERING),
        "pipeline.ambitions /pijplijn/ambities": {"GET": STEERING},
        "pipeline.drilldown /pijplijn/lijst": {
            "GET": roles(accountmanager=403, partner=403, outsider_accountmanager=403, outsider_partner=403, rest=404)
        },
        "pipeline.export /pijplijn/export": {
            "GET": roles(accountmanager=403, partner=403, outsider_accountmanager=403, outsider_partner=403, rest=404)
        },
        "pipeline.index /pijplijn": {"GET": STEERING},
        # trajectories: need-to-know, like participants
        "trajectories.detail /trajecten/<int:id>": {"GET": CASEWORK},
        "trajectories.edit /trajecten/<int:id>/bewerken": same(CASEWORK),
        "trajectories.employer_field /trajecten/werkgevers": {"GET": everyone(200)},
        "trajectories.follow_up /trajecten/<int:id>/opvolgactie": {"POST": CASEWORK},
        "trajectories.index /trajecten": {"GET": everyone(200)},
        "trajectories.new /trajecten/nieuw": same(CASEWORK),
        "trajectories.transition /trajecten/<int:id>/status": {"POST": CASEWORK},
        "trajectories.vacancy_field /trajecten/vacatures": {"GET": everyone(200)},
        # vacancies: shared; partners edit those of their own organisation (A is involved)
        "vacancies.board /vacatures/bord": {"GET": everyone(200)},
        "vacancies.detail /vacatures/<int:id>": {"GET": everyone(200)},
        "vacancies.edit /vacatures/<int:id>/bewerken": same(roles(outsider_partner=403, rest=OK)),
        "vacancies.index /vacatures": {"GET": everyone(200)},
        "vacancies.new /vacatures/nieuw": same(SHARED),
        "vacancies.transition /vacatures/<int:id>/status": {"POST": roles(outsider_partner=403, rest=OK)},
        # the partner API (/api/v1): a browser session is no key, only a client's bearer token
        # (tests/test_api_access.py is the API's own matrix over scopes and organisations)
        "api.docs /api/v1/docs": {"GET": PUBLIC},
        "api.openapi /api/v1/openapi.json": {"GET": PUBLIC},
        "api.municipalities /api/v1/municipalities": {"GET": API_TOKEN_ONLY},
        "api.add_person /api/v1/employers/<int:id>/people": {"POST": API_TOKEN_ONLY},
        "api.complete /api/v1/follow-ups/<int:id>/complete": {"POST": API_TOKEN_ONLY},
        "api.create_employer /api/v1/employers": {"POST": API_TOKEN_ONLY},
        "api.employer_timeline /api/v1/employers/<int:id>/timeline": {"GET": API_TOKEN_ONLY},
        "api.get_employer /api/v1/employers/<int:id>": {"GET": API_TOKEN_ONLY},
        "api.list_employers /api/v1/employers": {"GET": API_TOKEN_ONLY},
        "api.list_people /api/v1/employers/<int:id>/people": {"GET": API_TOKEN_ONLY},
        "api.log_contact /api/v1/employers/<int:id>/contacts": {"POST": API_TOKEN_ONLY},
        "api.my_follow_ups /api/v1/follow-ups": {"GET": API_TOKEN_ONLY},
        "api.plan_follow_up /api/v1/follow-ups": {"POST": API_TOKEN_ONLY},
        "api.reschedule /api/v1/follow-ups/<int:id>/reschedule": {"POST": API_TOKEN_ONLY},
        "api.update_employer /api/v1/employers/<int:id>": {"PATCH": API_TOKEN_ONLY},
        "api.regions /api/v1/regions": {"GET": API_TOKEN_ONLY},
        "api.sbi_sections /api/v1/sbi-sections": {"GET": API_TOKEN_ONLY},
        # (feed helper: vacancies, JobPosting, trajectories and participants, the change feed)
        "api.changes /api/v1/changes": {"GET": API_TOKEN_ONLY},
        "api.list_vacancies /api/v1/vacancies": {"GET": API_TOKEN_ONLY},
        "api.create_vacancy /api/v1/vacancies": {"POST": API_TOKEN_ONLY},
        "api.get_vacancy /api/v1/vacancies/<int:id>": {"GET": API_TOKEN_ONLY},
        "api.update_vacancy /api/v1/vacancies/<int:id>": {"PUT": API_TOKEN_ONLY},
        "api.change_vacancy_status /api/v1/vacancies/<int:id>/status": {"POST": API_TOKEN_ONLY},
        "api.vacancy_job_posting /api/v1/vacancies/<int:id>/jobposting": {"GET": API_TOKEN_ONLY},
        "api.list_trajectories /api/v1/trajectories": {"GET": API_TOKEN_ONLY},
        "api.get_trajectory /api/v1/trajectories/<int:id>": {"GET": API_TOKEN_ONLY},
        "api.get_participant /api/v1/participants/<int:id>": {"GET": API_TOKEN_ONLY},
        # API clients: the admin for every organisation, a coordinator for their own (A's client)
        "api_clients.index /koppelingen": same(STEERING),
        "api_clients.revoke /koppelingen/<int:id>/intrekken": same(roles(admin=OK, coordinator=OK, rest=404)),
        # worklist (the row is an htmx fragment; a plain request is sent to the full page)
        "worklist.employer_row /werkvoorraad/werkgevers/<int:id>": {"GET": everyone(302)},
        "worklist.index /": {"GET": everyone(200)},
    }
)

# URL parameters per rule: argument name -> world id key (or a literal value).
ARGS: dict[str, dict[str, object]] = {}
DEFAULT_ARGS = {"employer_id": "employer", "person_id": "person", "token": "=no-such-token", "fmt": "=csv"}
ID_BY_PREFIX = {
    "admin.organisation_edit": "org_a",
    "admin.partnership_edit": "p1",
    "admin.programme_period": "period",
    "admin.user": "victim",
    "api_clients.": "api_client",
    "api.get_vacancy": "vacancy",
    "api.update_vacancy": "vacancy",
    "api.change_vacancy_status": "vacancy",
    "api.vacancy_job_posting": "vacancy",
    "api.get_trajectory": "trajectory",
    "api.get_participant": "participant",
    "api.complete": "follow_up",
    "api.reschedule": "follow_up",
    "api.": "employer",
    "admin.failed_mail": "=999999",
    "audit.history": "employer",
    "contacts.follow_up": "follow_up",
    "notifications.": "notification",
    "employers.": "employer",
    "participants.": "participant",
    "privacy.": "participant",
    "trajectories.": "trajectory",
    "partners.organisation": "org_a",
    "partners.partnership": "p1",
    "vacancies.": "vacancy",
    "worklist.": "employer",
}
# Query strings that make a page show a record rather than a picker.
QUERY = {"trajectories.new": ("deelnemer", "participant"), "vacancies.new": ("werkgever", "employer")}
SPECIAL_ARGS = {
    "calendar.feed": {"token": "=" + ICAL_TOKEN},
    "exports.job": {"token": "export_job"},
    "exports.progress": {"token": "export_job"},
    "exports.download": {"token": "export_job"},
    "audit.history": {"object_type": "=employer"},
}


def rules(app):
    return sorted(
        (rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"), key=lambda r: (r.endpoint, r.rule)
    )


def url_for_rule(rule, ids) -> str:
    values = {}
    for name in rule.arguments:
        source = SPECIAL_ARGS.get(rule.endpoint, {}).get(name) or DEFAULT_ARGS.get(name)
        if name == "id" and source is None:
            source = next(v for k, v in ID_BY_PREFIX.items() if rule.endpoint.startswith(k))
        assert source is not None, f"no value for <{name}> of {rule.rule}"
        values[name] = source[1:] if source.startswith("=") else ids[source]
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(values[match.group(1)]), rule.rule)
    if rule.endpoint in QUERY:
        name, key = QUERY[rule.endpoint]
        path += f"?{name}={ids[key]}"
    return path


def matches(expected, status: int, location: str, method: str) -> bool:
    if expected == LOGIN:
        return status == 302 and "/login" in location
    if expected == OK:
        return status < 400 or (method == "POST" and status in (400, 422))
    return status == expected


def request_as(app, world, actor, method, path):
    client = app.test_client()
    if actor != A:
        login_as(client, world.users[actor])
    if method == "GET":
        return client.get(path)
    if method == "PATCH":  # only the API has PATCH routes
        return client.patch(path, json={})
    token = csrf_token(client, "/login" if actor == A else "/profiel")
    return client.post(path, data={"csrf_token": token})


def export_job_of(user) -> str:
    """A finished export job of ``user`` (crm.services.export_jobs), for the export job routes."""
    job = export_jobs.configured_store().create(user, export_jobs.EMPLOYERS, "csv", {}, "")
    job.store_file(io.BytesIO(b"Naam\r\n"))
    job.finish(ExportFile(file=io.BytesIO(), rows=0, filename="werkgevers.csv", mimetype="text/csv"))
    return job.token


def add_rule_records(rule, world) -> None:
    """Records some rules need beyond the world (kept outside the database): an export job."""
    if rule.endpoint.startswith("exports."):
        world.ids["export_job"] = export_job_of(world.users[AM])


def observe(app, rule):
    """Every actor and method on one rule: {method: {actor: (status, location, changed)}}."""
    world = build_world()
    db.session.commit()
    add_rule_records(rule, world)
    path = url_for_rule(rule, world.ids)
    seen = {}
    for method in ("GET", "POST", "PATCH"):
        if method not in rule.methods:
            continue
        for actor in ACTORS:
            # Each actor meets the same world: what one changes is undone before the next.
            db.session.commit()
            savepoint = db.session.get_bind().begin_nested()
            before = fingerprint()
            response = request_as(app, world, actor, method, path)
            db.session.commit()
            changed = fingerprint() != before
            db.session.commit()
            savepoint.rollback()
            db.session.expire_all()
            seen.setdefault(method, {})[actor] = (response.status_code, response.headers.get("Location", ""), changed)
            response.close()
    return path, seen


def rule_key(rule) -> str:
    return f"{rule.endpoint} {rule.rule}"


def test_every_route_is_in_the_matrix(app):
    keys = {rule_key(rule) for rule in rules(app)}
    assert keys - set(EXPECTED) == set(), "routes without an entry in EXPECTED"
    assert set(EXPECTED) - keys == set(), "EXPECTED names routes that no longer exist"
    for key, by_method in EXPECTED.items():
        for method, table in by_method.items():
            assert set(table) == set(ACTORS), (key, method)


def pytest_generate_tests(metafunc):
    if "rule_name" in metafunc.fixturenames:
        from config import TestingConfig
        from crm import create_app

        app = create_app(TestingConfig)
        names = [rule_key(r) for r in rules(app)]
        marks = XFAIL
        metafunc.parametrize(
            "rule_name",
            [pytest.param(n, marks=marks[n]) if n in marks else n for n in names],
        )


XFAIL: dict[str, object] = {}


def test_route(app, session, rule_name):
    rule = next(r for r in rules(app) if rule_key(r) == rule_name)
    path, seen = observe(app, rule)
    expected = EXPECTED.get(rule_name)
    if expected is None:
        pytest.fail(
            f"no entry for {rule_name}; observed {dict((m, {a: s[0] for a, s in t.items()}) for m, t in seen.items())}"
        )
    FIGURES["routes"] += 1
    problems = []
    for method, table in seen.items():
        for actor, (status, location, changed) in table.items():
            FIGURES["checks"] += 1
            want = expected[method][actor]
            if not matches(want, status, location, method):
                problems.append(f"{method} {path} as {actor}: expected {want}, got {status} {location}")
            refused = want in (LOGIN, 403, 404)
            if refused and changed:
                FIGURES["leaks"] += 1
                problems.append(f"{method} {path} as {actor}: refused, yet the database changed")
    assert not problems, "\n".join(problems)


# The history tab of a participant or trajectory shows personal data: need-to-know as well.
HISTORY = {
    "participant": roles(outsider_accountmanager=404, outsider_partner=404, outsider_coordinator=404, rest=OK),
    "trajectory": roles(outsider_accountmanager=404, outsider_partner=404, outsider_coordinator=404, rest=OK),
}


@pytest.mark.parametrize("object_type", sorted(HISTORY))
def test_history_of_casework_is_need_to_know(app, session, object_type):
    world = build_world()
    db.session.commit()
    path = f"/logboek/{object_type}/{world.ids[object_type]}"
    problems = []
    for actor in ACTORS:
        response = request_as(app, world, actor, "GET", path)
        FIGURES["checks"] += 1
        want = HISTORY[object_type][actor]
        if not matches(want, response.status_code, response.headers.get("Location", ""), "GET"):
            problems.append(f"GET {path} as {actor}: expected {want}, got {response.status_code}")
        if want == 404 and world.users and "de Vries" in response.get_data(as_text=True):
            FIGURES["leaks"] += 1
            problems.append(f"GET {path} as {actor}: shows the participant's name")
    assert not problems, "\n".join(problems)


# A follow-up on a trajectory is need-to-know like the trajectory: who may not see it gets 404
# on every method (no 403 that would confirm it exists), admins included; among those who see
# it, only the owner, the employer's contactpersoon and steering change it.
TRAJECTORY_FOLLOW_UP = {
    # the P1 trajectory (A involved): A's users see it; its owner is A's accountmanager
    "trajectory_follow_up": roles(
        partner=403, outsider_accountmanager=404, outsider_partner=404, outsider_coordinator=404, rest=OK
    ),
    # the P2 trajectory (B and X involved): nobody of A sees it, not the admin, not P1's coordinator
    "p2_follow_up": roles(outsider_accountmanager=403, outsider_partner=403, outsider_coordinator=OK, rest=404),
}


@pytest.mark.parametrize("action", ["afronden", "verzetten"])
@pytest.mark.parametrize("which", sorted(TRAJECTORY_FOLLOW_UP))
def test_follow_ups_of_casework_are_need_to_know(app, session, which, action):
    world = build_world()
    db.session.commit()
    path = f"/opvolgacties/{world.ids[which]}/{action}"
    secret = SECRET_P1 if which == "trajectory_follow_up" else SECRET_P2
    problems = []
    for actor in ACTORS:
        db.session.commit()
        savepoint = db.session.get_bind().begin_nested()
        before = fingerprint()
        client = app.test_client()
        if actor != A:
            login_as(client, world.users[actor])
        token = csrf_token(client, "/login" if actor == A else "/profiel")
        response = client.post(path, data={"csrf_token": token, "days": "7"}, follow_redirects=actor != A)
        changed = fingerprint() != before
        db.session.commit()
        savepoint.rollback()
        db.session.expire_all()
        FIGURES["checks"] += 1
        want = TRAJECTORY_FOLLOW_UP[which][actor]
        first = response.history[0] if response.history else response
        status = first.status_code
        if not matches(want, status, first.headers.get("Location", ""), "POST"):
            problems.append(f"POST {path} as {actor}: expected {want}, got {status}")
        if want in (LOGIN, 403, 404):
            if changed:
                FIGURES["leaks"] += 1
                problems.append(f"POST {path} as {actor}: refused, yet the database changed")
            if want == 404 and secret in response.get_data(as_text=True):
                FIGURES["leaks"] += 1
                problems.append(f"POST {path} as {actor}: the answer shows the follow-up's subject")
    assert not problems, "\n".join(problems)


# Every output that lists or describes records, as each signed-in actor sees it. Organisation
# A's users may read SECRET_P1 (A is involved) and never SECRET_P2; X's users the other way round.
OUTPUTS = (
    "/",
    "/meldingen",
    "/trajecten",
    "/deelnemers",
    "/werkgevers/{employer}",
    "/logboek?q=GEHEIM",
    "/logboek/export.csv?q=GEHEIM",
    "/pijplijn/lijst?lijst=opvolgacties&maat=open",
    "/pijplijn/lijst?lijst=opvolgacties&maat=te_laat",
    "/pijplijn/export?tabel=lijst&lijst=opvolgacties&maat=open&formaat=csv",
    "/pijplijn/lijst?lijst=trajecten&maat=totaal",
    "/agenda/" + ICAL_TOKEN + ".ics",
    "/trajecten/werkgevers?q=Metaal",
    "/logboek/employer/{employer}",
)
HIDDEN_FROM = {
    SECRET_P2: (ADM, CO, AM, PA),
    SECRET_P1: (OAM, OPA, OCO),
}


def test_no_output_shows_casework_to_whom_may_not_see_it(app, session):
    from crm.services import digest

    world = build_world()
    db.session.commit()
    problems, seen_by = [], {secret: set() for secret in HIDDEN_FROM}
    for actor in SIGNED_IN:
        client = app.test_client()
        login_as(client, world.users[actor])
        user = world.users[actor]
        mail = digest.render(digest.build_digest(user, today()), "<test@crm>")
        pages = {"the daily digest e-mail": mail.text + mail.html}
        for output in OUTPUTS:
            if output.startswith("/agenda/") and actor != AM:
                continue  # the feed is its owner's (the token is the key), checked as the owner
            path = output.format(**world.ids)
            response = client.get(path)
            FIGURES["checks"] += 1
            if response.status_code >= 500:
                problems.append(f"GET {path} as {actor}: {response.status_code}")
            pages[path] = response.get_data(as_text=True)
            response.close()
        for where, text in pages.items():
            for secret, hidden_from in HIDDEN_FROM.items():
                if secret in text:
                    seen_by[secret].add(actor)
                    if actor in hidden_from:
                        FIGURES["leaks"] += 1
                        problems.append(f"{where} as {actor} shows {secret!r}")
    assert not problems, "\n".join(problems)
    # the outputs do show each text to someone who may read it (so this test can fail)
    assert {CO, AM} <= seen_by[SECRET_P1]
    assert OCO in seen_by[SECRET_P2]


def test_zz_figures(capsys):
    """Runs last: the figures for the closing note (visible with ``pytest -s`` or in -rA)."""
    with capsys.disabled():
        print(
            f"\naccess matrix: {FIGURES['routes']} routes, {FIGURES['checks']} route x actor x method checks, "
            f"{FIGURES['leaks']} leaks"
        )
    assert FIGURES["leaks"] == 0
