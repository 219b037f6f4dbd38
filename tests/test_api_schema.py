"""The API against its own OpenAPI document, with schemathesis, in-process (WSGI).

For every documented operation schemathesis sends valid and invalid requests (hypothesis,
a moderate number per operation so the suite stays fast) as a client of organisation A with
every scope, and checks: no server error (5xx), every answer's status, content type and body
as documented, invalid input refused (4xx). Path ids are often a real record's, so the
operations do their work rather than only answering 404. A second test sends each operation
without a token and with a wrong one: 401, always.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from crm.extensions import db
from tests.access_world import build_world
from tests.api_support import bearer, make_client

EXAMPLES = 12  # per operation (positive and negative), see the module docstring
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
FIGURES = {"cases": 0, "server_errors": 0}


def _schema():
    """The document of an app made for reading it (schemathesis' lazy fixture loader does not
    work with pytest 9); the requests go to the test's app (``case.call(app=...)``)."""
    from config import TestingConfig
    from crm import create_app

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", create_app(TestingConfig))


schema = _schema()


@pytest.fixture
def api_world(session):
    from crm.extensions import limiter

    limiter.reset()
    world = build_world()
    org = world.users["admin"].organisation
    _client, token = make_client(world.users["admin"], org, role="accountmanager", name="Schemathesis")
    db.session.commit()
    return world, token


# The record a path's ``id`` names, per operation (else random ids: mostly 404, also fine).
PATH_IDS = {"/api/v1/follow-ups/{id}/complete": "follow_up", "/api/v1/follow-ups/{id}/reschedule": "follow_up"}
PATH_IDS |= {  # the feed helper's routes
    **{
        path: "vacancy"
        for path in ("/api/v1/vacancies/{id}", "/api/v1/vacancies/{id}/status", "/api/v1/vacancies/{id}/jobposting")
    },
    "/api/v1/trajectories/{id}": "trajectory",
    "/api/v1/participants/{id}": "participant",
}


def real_ids(case, world) -> None:
    value = (case.path_parameters or {}).get("id")
    if isinstance(value, int) and value % 3:  # two in three: a real record
        case.path_parameters["id"] = world.ids[PATH_IDS.get(case.operation.path, "employer")]


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_document(case, app, api_world):
    world, token = api_world
    real_ids(case, world)
    headers = {**(case.headers or {}), **bearer(token)}
    if case.method.upper() == "PATCH":
        from crm.models import Employer

        employer = db.session.get(Employer, world.ids["employer"])
        headers.setdefault("If-Match", f'"{employer.version if employer else 1}"')
    if case.method.upper() == "PUT" or case.operation.path.endswith("/status"):  # a vacancy (feed helper)
        from crm.models import Vacancy

        vacancy = db.session.get(Vacancy, world.ids["vacancy"])
        headers.setdefault("If-Match", f'"{vacancy.version if vacancy else 1}"')
    FIGURES["cases"] += 1
    response = case.call(app=app, headers=headers)
    if response.status_code >= 500:
        FIGURES["server_errors"] += 1
    case.validate_response(response, checks=CHECKS)


@schema.parametrize()
@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_refuses_without_a_valid_token(case, app, api_world):
    ids = [v for v in (case.path_parameters or {}).values()]
    if case.method.upper() != case.operation.method.upper() or any(not isinstance(v, int) or v < 0 for v in ids):
        return  # another method or an id no route matches: 405/404 before any token is read
    for headers in ({}, {"Authorization": "Bearer wgcrm_" + "x" * 43}, {"Authorization": "Basic YWRtaW46YWRtaW4="}):
        response = case.call(app=app, headers=headers)
        FIGURES["cases"] += 1
        assert response.status_code == 401, (case.method, case.path, response.status_code)
        content_type = {k.lower(): v for k, v in response.headers.items()}["content-type"]
        assert "application/problem+json" in str(content_type)


def test_zz_schemathesis_figures(capsys):
    with capsys.disabled():
        print(f"\nschemathesis: {FIGURES['cases']} cases, {FIGURES['server_errors']} server errors")
    assert FIGURES["server_errors"] == 0
