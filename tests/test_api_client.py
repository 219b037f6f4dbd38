"""A partner's developer generates a Python client from the document with a standard
generator (openapi-python-client, its CLI in a temporary folder) and syncs with it: create an
employer, log a contact, read both back from the change feed (and the employer's timeline),
and an update with a stale ETag is refused with 412."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from crm.extensions import db
from tests.api_support import make_client


@pytest.fixture
def generated(app, client, tmp_path):
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(client.get("/api/v1/openapi.json").get_json()))
    cli = Path(sys.executable).parent / "openapi-python-client"
    result = subprocess.run(
        [str(cli), "generate", "--path", str(spec), "--meta", "none", "--output-path", str(tmp_path / "wgcrm_client")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "will not be generated" not in result.stdout + result.stderr, result.stdout
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("wgcrm_client")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == "wgcrm_client" or n.startswith("wgcrm_client.")]:
            del sys.modules[name]


def test_a_partner_syncs_with_a_generated_client(app, generated, factories):
    org = factories.OrganisationFactory(name="ROC van Twente (sync)", kind="roc")
    admin = factories.UserFactory(role="admin", organisation=org)
    factories.UserFactory(role="accountmanager", organisation=org, email="am@roc.example")  # the contactpersoon
    _client, token = make_client(admin, org, name="Studentvolgsysteem")
    db.session.commit()

    api = importlib.import_module("wgcrm_client.api.werkgevers")
    contacts = importlib.import_module("wgcrm_client.api.contactmomenten")
    feed = importlib.import_module("wgcrm_client.api.wijzigingen.changes")
    models = importlib.import_module("wgcrm_client.models")
    for name in ("create_employer", "update_employer", "get_employer"):
        importlib.import_module(f"wgcrm_client.api.werkgevers.{name}")
    for name in ("log_contact", "employer_timeline"):
        importlib.import_module(f"wgcrm_client.api.contactmomenten.{name}")
    client = generated.AuthenticatedClient(
        base_url="http://crm.test", token=token, httpx_args={"transport": httpx.WSGITransport(app=app)}
    )

    start = feed.sync(client=client, since="now")  # a partner system starts at the current end
    assert start.items == []

    created = api.create_employer.sync_detailed(
        client=client,
        body=models.EmployerCreate(
            name="Technisch Bureau Oost", kvk_number="87654321", city="Enschede", contactpersoon_email="am@roc.example"
        ),
    )
    assert created.status_code == 201, created.content
    employer = created.parsed
    assert employer.name == "Technisch Bureau Oost"
    etag = created.headers["ETag"]

    logged = contacts.log_contact.sync_detailed(
        employer.id,
        client=client,
        body=models.ContactIn(
            channel=models.ContactInChannel("bezoek"), summary="Rondleiding en BBL-plekken besproken"
        ),
    )
    assert logged.status_code == 201, logged.content
    assert logged.parsed.author.name == "API: Studentvolgsysteem"

    timeline = contacts.employer_timeline.sync(employer.id, client=client)
    assert [i.contact.summary for i in timeline.items if i.kind == "contact"] == [
        "Rondleiding en BBL-plekken besproken"
    ]

    changes = feed.sync(client=client, since=start.next_cursor)
    assert [(c.kind, c.id, c.action) for c in changes.items] == [
        ("employer", employer.id, "created"),
        ("contact", logged.parsed.id, "created"),
    ]
    assert feed.sync(client=client, since=changes.next_cursor).items == []  # nothing twice

    first = api.update_employer.sync_detailed(
        employer.id, client=client, body=models.EmployerFields(city="Hengelo"), if_match=etag
    )
    assert first.status_code == 200, first.content
    assert first.parsed.city == "Hengelo"
    stale = api.update_employer.sync_detailed(
        employer.id, client=client, body=models.EmployerFields(city="Almelo"), if_match=etag
    )
    assert stale.status_code == 412
    assert stale.parsed.status == 412
    assert stale.parsed.additional_properties["changes"][0]["fields"]["city"] == ["Enschede", "Hengelo"]
    assert api.get_employer.sync(employer.id, client=client).city == "Hengelo"
