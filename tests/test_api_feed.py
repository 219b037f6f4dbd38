"""The feed helper's API resources, over HTTP with real tokens: the change feed, vacancies
(create, If-Match updates, the status workflow), the JobPosting, and trajectories and
participants behind ``trajectories:read``. Same rules as the pages: organisation A's client
(a partner of P1) and organisation X's (P2) see exactly what their users would.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from crm.extensions import db
from crm.lib.clock import today
from crm.models import Organisation, Vacancy
from crm.models.base import utcnow
from crm.services import contacts, employers
from crm.services.api_clients import ClientData, create_client
from crm.services.contacts import ContactData
from tests.access_world import build_world
from tests.test_job_posting import google_problems

ALL = [
    "employers:read",
    "employers:write",
    "contacts:write",
    "followups:write",
    "vacancies:write",
    "trajectories:read",
]


@pytest.fixture
def world(session):
    return build_world()


def token_for(world, org_key: str, scopes: list[str], role: str = "partner") -> str:
    organisation = db.session.get(Organisation, world.ids[org_key])
    _client, token = create_client(
        world.users["admin"],
        organisation,
        ClientData(f"Test {org_key} {role}", scopes, utcnow() + timedelta(days=1), role),
    )
    db.session.commit()
    return token


def call(client, method: str, path: str, token: str, **kwargs):
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    return client.open(path, method=method, headers=headers, **kwargs)


# --- the change feed ---------------------------------------------------------------------------


def feed(client, token, since=None):
    query = {"limit": 500} | ({"since": since} if since else {})
    response = call(client, "GET", "/api/v1/changes", token, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_feed_shows_what_the_clients_organisation_may_see(client, world):
    inside = token_for(world, "org_a", ["employers:read"])
    outside = token_for(world, "org_x", ["employers:read"])
    since = {name: feed(client, token)["next_cursor"] for name, token in (("in", inside), ("out", outside))}
    employer = db.session.get(employers.Employer, world.ids["employer"])
    outsider = world.users["outsider_accountmanager"]
    intern_x = contacts.log_contact(
        outsider, employer, ContactData(channel="telefoon", summary="Intern X", visibility="intern")
    )
    shared = contacts.log_contact(outsider, employer, ContactData(channel="telefoon", summary="Gedeeld"))
    db.session.commit()

    seen_in = [(c["kind"], c["id"], c["action"]) for c in feed(client, inside, since["in"])["items"]]
    seen_out = [(c["kind"], c["id"], c["action"]) for c in feed(client, outside, since["out"])["items"]]
    assert seen_in == [("contact", shared.id, "created")]
    assert seen_out == [("contact", intern_x.id, "created"), ("contact", shared.id, "created")]


def test_casework_is_in_the_feed_only_with_its_scope_and_need_to_know(client, world):
    without = feed(client, token_for(world, "org_a", ["employers:read"]))["items"]
    assert {c["kind"] for c in without} <= {"employer", "person", "contact", "follow_up", "vacancy"}
    inside = {
        (c["kind"], c["id"])
        for c in feed(client, token_for(world, "org_a", ["employers:read", "trajectories:read"]))["items"]
    }
    outside = {
        (c["kind"], c["id"])
        for c in feed(client, token_for(world, "org_x", ["employers:read", "trajectories:read"]))["items"]
    }
    assert ("trajectory", world.ids["trajectory"]) in inside and (
        "trajectory",
        world.ids["p2_trajectory"],
    ) not in inside
    assert ("trajectory", world.ids["p2_trajectory"]) in outside and (
        "trajectory",
        world.ids["trajectory"],
    ) not in outside
    assert ("follow_up", world.ids["trajectory_follow_up"]) not in outside


def test_the_feed_refuses_a_bad_cursor_and_starts_now_on_request(client, world):
    token = token_for(world, "org_a", ["employers:read"])
    response = call(client, "GET", "/api/v1/changes", token, query_string={"since": "gisteren"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert [e["field"] for e in response.get_json()["errors"]] == ["query.since"]
    assert feed(client, token, since="now")["items"] == []
    from_start = call(client, "GET", "/api/v1/changes", token, query_string={"since": "", "limit": 500})
    assert from_start.status_code == 200  # `since=` empty is the start, as the document says
    assert from_start.get_json()["items"] == feed(client, token)["items"]
    assert call(client, "GET", "/api/v1/changes", token_for(world, "org_a", ["vacancies:write"])).status_code == 403


# --- vacancies ---------------------------------------------------------------------------------


def intake(world, **overrides) -> dict:
    body = {
        "employer_id": world.ids["employer"],
        "title": "Leerling-monteur elektrotechniek",
        "positions": 2,
        "hours_per_week": 38,
        "education_level": "mbo3",
        "qualification_name": "Eerste monteur elektrotechnische installaties",
        "crebo": "25309",
        "learning_path": "bbl",
        "closing_date": (today() + timedelta(days=20)).isoformat(),
        "organisation_ids": [world.ids["org_a"]],
        "publish_agreed": True,
    }
    return body | overrides


def test_a_vacancy_is_created_updated_with_if_match_and_moved_along_the_workflow(client, world):
    token = token_for(world, "org_a", ["employers:read", "vacancies:write"])
    created = call(client, "POST", "/api/v1/vacancies", token, json=intake(world))
    assert created.status_code == 201, created.get_json()
    vacancy = created.get_json()
    assert (vacancy["status"], vacancy["published"], created.headers["ETag"]) == ("nieuw", True, '"1"')
    path = f"/api/v1/vacancies/{vacancy['id']}"
    body = {k: v for k, v in intake(world, positions=3).items() if k != "employer_id"}

    assert call(client, "PUT", path, token, json=body).status_code == 428
    updated = call(client, "PUT", path, token, json=body, headers={"If-Match": '"1"'})
    assert updated.status_code == 200 and updated.get_json()["positions"] == 3
    stale = call(client, "PUT", path, token, json=body | {"positions": 4}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.get_json()["changes"][0]["fields"]["positions"] == [2, 3]

    etag = updated.headers["ETag"]
    skip = call(client, "POST", f"{path}/status", token, json={"to": "vervuld"}, headers={"If-Match": etag})
    assert skip.status_code == 409
    assert "kan niet naar" in skip.get_json()["detail"]
    no_reason = call(client, "POST", f"{path}/status", token, json={"to": "ingetrokken"}, headers={"If-Match": etag})
    assert no_reason.status_code == 409 and "reden" in no_reason.get_json()["detail"]
    moved = call(client, "POST", f"{path}/status", token, json={"to": "intake_gedaan"}, headers={"If-Match": etag})
    assert moved.status_code == 200 and moved.get_json()["status"] == "intake_gedaan"
    assert moved.get_json()["allowed_next"] == ["kandidaten_voorgesteld", "ingetrokken", "verlopen"]
    assert (
        call(client, "POST", f"{path}/status", token, json={"to": "nieuw"}, headers={"If-Match": etag}).status_code
        == 412
    )

    # The writes are the client's, in the audit trail and so in the feed.
    changes = feed(client, token_for(world, "org_x", ["employers:read"]))["items"]
    assert [c["action"] for c in changes if c["kind"] == "vacancy" and c["id"] == vacancy["id"]] == [
        "created",
        "updated",
        "updated",
    ]


def test_vacancy_rules_are_the_services(client, world):
    token = token_for(world, "org_x", ["employers:read", "vacancies:write"])
    # A partner only records vacancies its own organisation is involved in.
    refused = call(client, "POST", "/api/v1/vacancies", token, json=intake(world))
    assert refused.status_code == 403
    unknown = call(client, "POST", "/api/v1/vacancies", token, json=intake(world, municipality_id=999999))
    assert unknown.status_code == 422 and unknown.get_json()["errors"][0]["field"] == "municipality_id"
    bad = call(client, "POST", "/api/v1/vacancies", token, json=intake(world, crebo="123"))
    assert bad.status_code == 422
    assert (
        call(
            client, "POST", "/api/v1/vacancies", token_for(world, "org_a", ["employers:read"]), json=intake(world)
        ).status_code
        == 403
    )


def test_the_job_posting_only_when_agreed_and_open(client, world):
    token = token_for(world, "org_a", ["employers:read"])
    vacancy = db.session.get(Vacancy, world.ids["vacancy"])
    path = f"/api/v1/vacancies/{vacancy.id}/jobposting"
    refused = call(client, "GET", path, token)
    assert refused.status_code == 404 and refused.get_json()["code"] == "not_published"
    vacancy.publish_agreed = True
    vacancy.closing_date = today() + timedelta(days=10)
    db.session.commit()
    response = call(client, "GET", path, token)
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    posting = response.get_json(force=True)
    assert google_problems(posting) == []
    assert posting["title"] == vacancy.title
    assert call(client, "GET", "/api/v1/vacancies/999999/jobposting", token).status_code == 404


# --- trajectories and participants ---------------------------------------------------------------


def test_trajectories_need_their_scope_and_involvement(client, world):
    assert call(client, "GET", "/api/v1/trajectories", token_for(world, "org_a", ALL[:5])).status_code == 403
    inside = token_for(world, "org_a", ["trajectories:read"])
    listed = call(client, "GET", "/api/v1/trajectories", inside).get_json()["items"]
    assert [t["id"] for t in listed] == [world.ids["trajectory"]]
    assert call(client, "GET", f"/api/v1/trajectories/{world.ids['trajectory']}", inside).status_code == 200
    assert call(client, "GET", f"/api/v1/trajectories/{world.ids['p2_trajectory']}", inside).status_code == 404
    participant = call(client, "GET", f"/api/v1/participants/{world.ids['participant']}", inside)
    assert participant.status_code == 200 and participant.get_json()["first_name"] == "Sanne"
    assert "email" not in participant.get_json()

    outside = token_for(world, "org_x", ["trajectories:read"])
    assert call(client, "GET", f"/api/v1/trajectories/{world.ids['trajectory']}", outside).status_code == 404
    assert call(client, "GET", f"/api/v1/participants/{world.ids['participant']}", outside).status_code == 404
    assert [t["id"] for t in call(client, "GET", "/api/v1/trajectories", outside).get_json()["items"]] == [
        world.ids["p2_trajectory"]
    ]
