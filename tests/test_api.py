"""The partner API (/api/v1) as a partner's system meets it: tokens, scopes, errors as
problem documents, paging, ETags, rate limits, and the employer, contact and follow-up
resources going through the same services and rules as the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.lib.clock import today
from crm.models import ApiClient, AuditEvent, Employer, Notification
from crm.models.base import utcnow
from tests.api_support import bearer, make_client

PROBLEM = "application/problem+json"


@pytest.fixture
def org(factories):
    return factories.OrganisationFactory(name="Gemeente Hengelo (api)", kind="gemeente")


@pytest.fixture
def admin(factories, org):
    return factories.UserFactory(role="admin", organisation=org, email="beheer@hengelo.example")


@pytest.fixture
def am(factories, org):
    return factories.UserFactory(
        role="accountmanager", organisation=org, name="Marieke Visser", email="marieke@hengelo.example"
    )


@pytest.fixture
def token(admin, org, am):
    return make_client(admin, org)[1]


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    return body


# --- the document and its page ----------------------------------------------------------


def test_the_document_is_openapi_3_1_generated_from_the_routes(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    assert {"/api/v1/employers", "/api/v1/employers/{id}", "/api/v1/regions"} <= set(spec["paths"])
    create = spec["paths"]["/api/v1/employers"]["post"]
    assert create["security"] == [{"bearerAuth": []}]
    assert "409" in create["responses"]
    assert "application/problem+json" in create["responses"]["409"]["content"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_the_documentation_page_uses_vendored_assets_only(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page
    assert "http" not in page.replace('data-spec-url="/api/v1/openapi.json"', "")
    asset = client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js")
    assert asset.status_code == 200
    asset.close()


# --- who is asking --------------------------------------------------------------------------


def test_without_a_token_401(client):
    body = problem(client.get("/api/v1/regions"), 401)
    assert body["code"] == "no_token"


def test_a_wrong_token_401(client, token):
    response = client.get("/api/v1/regions", headers=bearer(token[:-2] + "xx"))
    assert problem(response, 401)["code"] == "bad_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_or_expired_token_401(client, admin, org, am):
    from crm.services.api_clients import revoke_client

    revoked, revoked_token = make_client(admin, org, name="Oud")
    expired, expired_token = make_client(admin, org, name="Verlopen")
    revoke_client(admin, revoked)
    expired.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    problem(client.get("/api/v1/regions", headers=bearer(revoked_token)), 401)
    problem(client.get("/api/v1/regions", headers=bearer(expired_token)), 401)


def test_the_browser_session_is_no_key(client, am):
    from tests.conftest import login_as

    login_as(client, am)
    problem(client.get("/api/v1/employers"), 401)


def test_a_missing_scope_403(client, admin, org, am):
    _client, token = make_client(admin, org, scopes=["employers:read"])
    body = problem(client.post("/api/v1/follow-ups", json={}, headers=bearer(token)), 403)
    assert body["code"] == "missing_scope"
    assert "followups:write" in body["detail"]


def test_use_is_stamped_on_the_client(client, token):
    assert client.get("/api/v1/regions", headers=bearer(token)).status_code == 200
    used = db.session.scalar(select(ApiClient.last_used_at))
    assert used is not None


# --- errors ---------------------------------------------------------------------------------


def test_invalid_input_is_a_422_listing_the_fields(client, token):
    response = client.post(
        "/api/v1/employers", json={"name": "", "status": "weg", "size": 3, "extra": 1}, headers=bearer(token)
    )
    body = problem(response, 422)
    fields = {e["field"]: e for e in body["errors"]}
    assert set(fields) == {"name", "status", "size", "extra"}
    assert fields["extra"]["message"] == "Dit veld bestaat niet."
    assert fields["status"]["code"] == "literal_error"


def test_a_body_that_is_not_json_is_a_400(client, token):
    response = client.post(
        "/api/v1/employers", data="{nee", headers=bearer(token, **{"Content-Type": "application/json"})
    )
    problem(response, 400)


def test_the_service_checks_become_field_errors(client, token, am):
    response = client.post(
        "/api/v1/employers",
        json={"name": "Bakkerij Test", "kvk_number": "123", "postcode": "nee", "contactpersoon_id": am.id},
        headers=bearer(token),
    )
    fields = {e["field"]: e["message"] for e in problem(response, 422)["errors"]}
    assert fields["kvk_number"].startswith("Een KvK-nummer heeft precies 8 cijfers")
    assert fields["postcode"].startswith("Vul een Nederlandse postcode in")


def test_an_unknown_address_is_a_problem_too(client):
    problem(client.get("/api/v1/werkgevers"), 404)
    problem(client.delete("/api/v1/regions"), 405)


def test_the_language_follows_accept_language(client, token):
    assert (
        client.get("/api/v1/regions", headers=bearer(token, **{"Accept-Language": "en-GB,en"})).headers[
            "Content-Language"
        ]
        == "en"
    )
    assert client.get("/api/v1/regions", headers=bearer(token)).headers["Content-Language"] == "nl"


# --- rate limits ------------------------------------------------------------------------


def test_the_rate_limit_counts_per_client_with_the_standard_headers(app, client, token, admin, org):
    _other, other_token = make_client(admin, org, name="Tweede systeem")
    app.config["API_RATE_LIMIT"] = "3/minute"
    try:
        answers = [client.get("/api/v1/regions", headers=bearer(token)) for _ in range(4)]
        other = client.get("/api/v1/regions", headers=bearer(other_token))
    finally:
        app.config["API_RATE_LIMIT"] = "600/minute"
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["RateLimit-Limit"] == "3"
    assert answers[2].headers["RateLimit-Remaining"] == "0"
    body = problem(answers[3], 429)
    assert body["code"] == "rate_limited"
    assert int(answers[3].headers["Retry-After"]) >= 1
    assert other.status_code == 200  # another client counts on its own


# --- reference lists and paging ----------------------------------------------------------------


def test_reference_lists(client, token):
    regions = client.get("/api/v1/regions", headers=bearer(token)).get_json()["items"]
    assert len(regions) == 35
    sections = client.get("/api/v1/sbi-sections", headers=bearer(token)).get_json()["items"]
    assert [s["code"] for s in sections][:3] == ["A", "B", "C"]


def test_keyset_pages_cover_every_municipality_once(client, token):
    seen, cursor = [], None
    while True:
        query = "?limit=50" + (f"&cursor={cursor}" if cursor else "")
        page = client.get("/api/v1/municipalities" + query, headers=bearer(token)).get_json()
        seen += [m["name"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) > 300
    assert seen == sorted(seen, key=lambda n: n) or len(seen) > 300


def test_a_cursor_that_does_not_fit_is_a_400(client, token):
    body = problem(client.get("/api/v1/municipalities?cursor=bm9nIGVlbg", headers=bearer(token)), 400)
    assert body["errors"][0]["field"] == "cursor"


# --- employers --------------------------------------------------------------------------------


def new_employer(client, token, am, **fields):
    body = {"name": "Metaalbedrijf Oost B.V.", "kvk_number": "12345678", "city": "Hengelo", "contactpersoon_id": am.id}
    return client.post("/api/v1/employers", json={**body, **fields}, headers=bearer(token))


def test_create_an_employer_audited_as_the_client(client, token, am):
    response = new_employer(client, token, am, postcode="7551ab", sbi_code="25.11")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["ETag"] == '"1"'
    assert body["postcode"] == "7551 AB"
    assert body["sbi_section"]["code"] == "C"
    assert body["contactpersoon"]["name"] == "Marieke Visser"
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.object_type == "employer", AuditEvent.action == "create")
    )
    assert event.actor_id is not None
    from crm.models import User

    assert db.session.get(User, event.actor_id).name == "API: Eigen systeem"


def test_a_partner_client_may_not_create_employers_as_partners_may_not(client, admin, org, am):
    _client, token = make_client(admin, org, role="partner")
    problem(new_employer(client, token, am), 403)


def test_the_same_kvk_number_is_a_conflict_naming_the_employer(client, token, am):
    first = new_employer(client, token, am).get_json()
    body = problem(new_employer(client, token, am, name="Iets Anders"), 409)
    assert body["code"] == "duplicate"
    assert body["existing"][0]["id"] == first["id"]
    assert "Metaalbedrijf Oost" in body["detail"]


def test_a_similar_name_in_the_same_place_is_a_conflict_unless_confirmed(client, token, am):
    new_employer(client, token, am)
    body = problem(new_employer(client, token, am, name="Metaalbedrijf Oost", kvk_number=None), 409)
    assert body["existing"][0]["name"] == "Metaalbedrijf Oost B.V."
    again = new_employer(client, token, am, name="Metaalbedrijf Oost", kvk_number=None, confirm_duplicate=True)
    assert again.status_code == 201


def test_the_api_principal_is_never_a_contactpersoon(client, token):
    principal = db.session.scalar(select(ApiClient)).user
    response = client.post(
        "/api/v1/employers", json={"name": "Bakkerij Test", "contactpersoon_id": principal.id}, headers=bearer(token)
    )
    assert problem(response, 422)["errors"][0]["field"] == "contactpersoon_id"


def test_get_one_employer_with_people_municipality_and_region(client, token, factories, am):
    employer = factories.EmployerFactory(contactpersoon=am, name="Zorggroep West")
    factories.EmployerPersonFactory(employer=employer, name="Ria Jansen")
    db.session.commit()
    response = client.get(f"/api/v1/employers/{employer.id}", headers=bearer(token))
    body = response.get_json()
    assert response.headers["ETag"] == f'"{employer.version}"'
    assert [p["name"] for p in body["people"]] == ["Ria Jansen"]
    assert body["municipality"]["name"] == "Enschede"
    assert body["region"]["name"] == "Twente"
    people = client.get(f"/api/v1/employers/{employer.id}/people", headers=bearer(token)).get_json()
    assert [p["name"] for p in people["items"]] == ["Ria Jansen"]


def test_a_merged_employer_is_not_found(client, token, factories, am):
    keep = factories.EmployerFactory(contactpersoon=am)
    gone = factories.EmployerFactory(contactpersoon=am, merged_into_id=None)
    gone.merged_into_id = keep.id
    db.session.commit()
    problem(client.get(f"/api/v1/employers/{gone.id}", headers=bearer(token)), 404)


def test_update_needs_if_match_and_refuses_a_stale_one_saying_what_changed(client, token, am):
    created = new_employer(client, token, am)
    url = f"/api/v1/employers/{created.get_json()['id']}"
    problem(client.patch(url, json={"city": "Enschede"}, headers=bearer(token)), 428)
    first = client.patch(url, json={"city": "Enschede"}, headers=bearer(token, **{"If-Match": '"1"'}))
    assert first.status_code == 200, first.get_json()
    assert first.headers["ETag"] == '"2"'
    assert first.get_json()["city"] == "Enschede"
    assert first.get_json()["name"] == "Metaalbedrijf Oost B.V."  # untouched: a PATCH
    stale = client.patch(url, json={"city": "Almelo"}, headers=bearer(token, **{"If-Match": '"1"'}))
    body = problem(stale, 412)
    assert body["current_etag"] == '"2"'
    assert body["changes"][0]["by"] == "API: Eigen systeem"
    assert body["changes"][0]["fields"]["city"] == ["Hengelo", "Enschede"]
    assert client.get(url, headers=bearer(token)).get_json()["city"] == "Enschede"


def test_list_employers_with_filters_search_and_keyset_pages(client, token, factories, am):
    for n in range(7):
        factories.EmployerFactory(contactpersoon=am, name=f"Bouwbedrijf {n}", status="actief" if n % 2 else "prospect")
    factories.EmployerFactory(contactpersoon=am, name="Kapsalon Knip", status="inactief")
    from crm.services.search import rebuild_search_text

    rebuild_search_text()
    db.session.commit()
    names, cursor = [], None
    while True:
        url = "/api/v1/employers?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=bearer(token)).get_json()
        names += [e["name"] for e in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert names == sorted(names) and len(names) == 8
    newest = client.get("/api/v1/employers?sort=nieuw&limit=2", headers=bearer(token)).get_json()
    assert newest["items"][0]["name"] == "Kapsalon Knip"
    active = client.get("/api/v1/employers?status=actief", headers=bearer(token)).get_json()["items"]
    assert {e["name"] for e in active} == {"Bouwbedrijf 1", "Bouwbedrijf 3", "Bouwbedrijf 5"}
    found = client.get("/api/v1/employers?q=kapsalon", headers=bearer(token)).get_json()["items"]
    assert [e["name"] for e in found] == ["Kapsalon Knip"]


# --- contacts and the timeline -------------------------------------------------------------


def test_log_a_contact_the_contactpersoon_is_told(client, token, factories, admin):
    other_org = factories.OrganisationFactory(name="ROC van Twente (api)")
    contactpersoon = factories.UserFactory(role="accountmanager", organisation=other_org)
    employer = factories.EmployerFactory(contactpersoon=contactpersoon)
    db.session.commit()
    response = client.post(
        f"/api/v1/employers/{employer.id}/contacts",
        json={
            "channel": "telefoon",
            "summary": "Gebeld over BBL-plekken",
            "follow_up": {"due_date": str(today() + timedelta(days=7)), "subject": "Terugbellen"},
        },
        headers=bearer(token),
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["author"]["name"] == "API: Eigen systeem"
    notes = db.session.scalars(select(Notification.message).where(Notification.user_id == contactpersoon.id)).all()
    assert any("had contact met" in n and "Gebeld over BBL-plekken" in n for n in notes), notes
    assert any("opvolgactie voor u gepland: Terugbellen" in n for n in notes), notes


def test_an_intern_note_is_in_the_own_timeline_only(client, token, factories, admin, am):
    outsider_org = factories.OrganisationFactory(name="UWV Zeeland (api)")
    _c, outsider_token = make_client(admin, outsider_org, name="Ander systeem")
    employer = factories.EmployerFactory(contactpersoon=am)
    db.session.commit()
    for visibility in ("intern", "gedeeld"):
        client.post(
            f"/api/v1/employers/{employer.id}/contacts",
            json={"channel": "bezoek", "summary": f"Notitie {visibility}", "visibility": visibility},
            headers=bearer(token),
        )
    url = f"/api/v1/employers/{employer.id}/timeline?kind=contact"
    own = [i["contact"]["summary"] for i in client.get(url, headers=bearer(token)).get_json()["items"]]
    other = [i["contact"]["summary"] for i in client.get(url, headers=bearer(outsider_token)).get_json()["items"]]
    assert sorted(own) == ["Notitie gedeeld", "Notitie intern"]
    assert other == ["Notitie gedeeld"]


def test_a_contact_in_the_future_is_refused_by_the_service(client, token, factories, am):
    employer = factories.EmployerFactory(contactpersoon=am)
    db.session.commit()
    response = client.post(
        f"/api/v1/employers/{employer.id}/contacts",
        json={"channel": "email", "summary": "Later", "occurred_at": (utcnow() + timedelta(days=2)).isoformat()},
        headers=bearer(token),
    )
    assert "toekomst" in problem(response, 409)["detail"]


# --- follow-ups -------------------------------------------------------------------------------


def test_plan_list_reschedule_and_complete_a_follow_up(client, token, factories, am):
    employer = factories.EmployerFactory(contactpersoon=am)
    db.session.commit()
    principal = db.session.scalar(select(ApiClient)).user
    due = today() + timedelta(days=3)
    planned = client.post(
        "/api/v1/follow-ups",
        json={
            "employer_id": employer.id,
            "due_date": str(due),
            "subject": "Offerte nabellen",
            "owner_id": principal.id,
        },
        headers=bearer(token),
    )
    assert planned.status_code == 201, planned.get_json()
    follow_up = planned.get_json()
    mine = client.get("/api/v1/follow-ups", headers=bearer(token)).get_json()["items"]
    assert [f["subject"] for f in mine] == ["Offerte nabellen"]
    later = client.post(
        f"/api/v1/follow-ups/{follow_up['id']}/reschedule",
        json={"due_date": str(due + timedelta(days=7))},
        headers=bearer(token),
    )
    assert later.get_json()["due_date"] == str(due + timedelta(days=7))
    done = client.post(
        f"/api/v1/follow-ups/{follow_up['id']}/complete",
        json={"contact": {"channel": "telefoon", "summary": "Offerte besproken"}},
        headers=bearer(token),
    )
    assert done.get_json()["follow_up"]["status"] == "afgerond"
    assert done.get_json()["contact"]["summary"] == "Offerte besproken"
    again = client.post(f"/api/v1/follow-ups/{follow_up['id']}/complete", json={}, headers=bearer(token))
    assert "al afgerond" in problem(again, 409)["detail"]
    assert client.get("/api/v1/follow-ups", headers=bearer(token)).get_json()["items"] == []


def test_someone_elses_follow_up_is_refused_as_on_the_page(client, admin, org, factories, am):
    _c, token = make_client(admin, org, role="partner")
    employer = factories.EmployerFactory(contactpersoon=am)
    follow_up = factories.FollowUpFactory(owner=am, employer=employer)
    db.session.commit()
    problem(client.post(f"/api/v1/follow-ups/{follow_up.id}/complete", json={}, headers=bearer(token)), 403)
    assert db.session.get(Employer, employer.id) is not None


def test_a_refusal_is_audited_with_the_client_as_actor(client, admin, org, am):
    api_client, token = make_client(admin, org, role="partner", name="Alleen lezen")
    problem(new_employer(client, token, am), 403)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "permission_denied"))
    assert event.actor_id == api_client.user_id
    assert event.summary == "POST /api/v1/employers"


def test_the_principal_is_not_managed_as_a_user(client, admin, token):
    from tests.conftest import login_as

    principal = db.session.scalar(select(ApiClient)).user
    login_as(client, admin)
    assert "API: Eigen systeem" not in client.get("/beheer/gebruikers").get_data(as_text=True)
    assert client.get(f"/beheer/gebruikers/{principal.id}").status_code == 404


@pytest.mark.parametrize(
    "cursor", ["WzEsMl0", "WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwgMV0", "bnVsbA", "W251bGwsIG51bGxd", "%%%"]
)
def test_any_tampered_cursor_is_a_400_never_a_500(client, token, cursor):
    for sort in ("naam", "nieuw", "contact_oud", "gemeente"):
        response = client.get(f"/api/v1/employers?sort={sort}&cursor={cursor}", headers=bearer(token))
        assert response.status_code in (200, 400), (sort, cursor, response.status_code)


def test_an_id_beyond_any_row_is_not_found(client, token):
    problem(client.get("/api/v1/employers/153122980920", headers=bearer(token)), 404)
