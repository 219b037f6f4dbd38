"""Merging employers (issue 16, finding 11): a sensitive action that asks for the password
again, like the others; the merged-away record's history stays readable."""

import time

from crm.extensions import db
from crm.models import Employer
from crm.services import employers
from tests.conftest import csrf_token, login_as
from tests.factories import PASSWORD


def test_merging_asks_for_the_password_again(client, factories):
    keep = factories.EmployerFactory(name="Installatiebedrijf Smit")
    duplicate = factories.EmployerFactory(name="Installatiebedrijf Smit BV")
    login_as(client, factories.UserFactory(role="coordinator"))
    token = csrf_token(client, f"/werkgevers/{keep.id}/samenvoegen")
    with client.session_transaction() as sess:
        sess["password_at"] = int(time.time()) - 16 * 60
    response = client.get(f"/werkgevers/{keep.id}/samenvoegen?duplicaat={duplicate.id}")
    assert response.status_code == 302 and "/herbevestigen" in response.headers["Location"]
    response = client.post(
        f"/werkgevers/{keep.id}/samenvoegen", data={"duplicate_id": duplicate.id, "note": "", "csrf_token": token}
    )
    assert response.status_code == 302 and "/herbevestigen" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(Employer, duplicate.id).merged_into_id is None  # nothing merged without it

    back = f"/werkgevers/{keep.id}/samenvoegen?duplicaat={duplicate.id}"
    response = client.post(f"/herbevestigen?next={back}", data={"password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == back
    response = client.post(
        f"/werkgevers/{keep.id}/samenvoegen", data={"duplicate_id": duplicate.id, "note": "", "csrf_token": token}
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/werkgevers/{keep.id}"
    db.session.expire_all()
    assert db.session.get(Employer, duplicate.id).merged_into_id == keep.id


def test_the_merged_records_history_stays_readable(client, factories):
    keep = factories.EmployerFactory(name="Installatiebedrijf Smit")
    duplicate = factories.EmployerFactory(name="Installatiebedrijf Smit BV")
    admin = factories.UserFactory(role="admin")
    employers.merge(admin, keep, duplicate, "Dubbel ingevoerd")
    db.session.flush()
    for user in (admin, factories.UserFactory(role="partner")):
        login_as(client, user)
        response = client.get(f"/logboek/employer/{duplicate.id}")
        assert response.status_code == 200
        assert "Installatiebedrijf Smit BV (#" in response.get_data(as_text=True)
