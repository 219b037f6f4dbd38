"""Beheer: organisations, partnerships and users."""

import re

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.models import AuditEvent, Organisation, Partnership, User
from crm.models.base import utcnow
from crm.services import organisations
from tests.conftest import csrf_token, login_as


@pytest.fixture
def admin(factories):
    return factories.UserFactory(role="admin", name="Beheerder Bert")


@pytest.mark.parametrize("role", ["coordinator", "accountmanager", "partner"])
@pytest.mark.parametrize(
    "path", ["/beheer/gebruikers", "/beheer/organisaties", "/beheer/samenwerkingsverbanden", "/beheer/gebruikers/nieuw"]
)
def test_only_admins_may_enter(client, factories, role, path):
    login_as(client, factories.UserFactory(role=role))
    response = client.get(path)
    assert response.status_code == 403
    assert "Geen toegang" in response.get_data(as_text=True)


def test_non_admin_cannot_post_either(client, factories):
    target = factories.UserFactory()
    login_as(client, factories.UserFactory(role="coordinator"))
    token = csrf_token(client, "/")
    assert (
        client.post(f"/beheer/gebruikers/{target.id}/actief", data={"active": "0", "csrf_token": token}).status_code
        == 403
    )
    assert target.active


def test_admin_creates_organisation_and_duplicate_name_is_refused(client, admin):
    login_as(client, admin)
    token = csrf_token(client, "/beheer/organisaties/nieuw")
    response = client.post(
        "/beheer/organisaties/nieuw", data={"name": "ROC van Twente", "kind": "roc", "active": "y", "csrf_token": token}
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Organisation).where(Organisation.name == "ROC van Twente")).kind == "roc"
    html = client.post(
        "/beheer/organisaties/nieuw", data={"name": "roc van twente", "kind": "roc", "csrf_token": token}
    ).get_data(as_text=True)
    assert "Er bestaat al een organisatie met deze naam." in html
    assert (
        db.session.scalar(
            select(db.func.count()).select_from(Organisation).where(Organisation.name.ilike("roc van twente"))
        )
        == 1
    )


def test_admin_creates_partnership_with_members(client, admin, factories):
    uwv = factories.OrganisationFactory(name="UWV Werkbedrijf Twente", kind="uwv")
    roc = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    login_as(client, admin)
    token = csrf_token(client, "/beheer/samenwerkingsverbanden/nieuw")
    response = client.post(
        "/beheer/samenwerkingsverbanden/nieuw",
        data={
            "name": "Leerwerkakkoord Twente",
            "scope": "regionaal",
            "region_id": "0",
            "member_ids": [uwv.id, roc.id],
            "active": "y",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    partnership = db.session.scalar(select(Partnership).where(Partnership.name == "Leerwerkakkoord Twente"))
    assert {o.name for o in partnership.members} == {"UWV Werkbedrijf Twente", "ROC van Twente"}
    html = client.get("/beheer/samenwerkingsverbanden").get_data(as_text=True)
    assert "Leerwerkakkoord Twente" in html and "ROC van Twente" in html


def version_on(page: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)


def test_editing_an_organisation_on_an_old_version_is_refused(client, admin, factories):
    roc = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    login_as(client, admin)
    url = f"/beheer/organisaties/{roc.id}"
    token = csrf_token(client, url)
    opened = version_on(client.get(url).get_data(as_text=True))
    # Another admin renames it in between.
    organisations.save_organisation(admin, roc, name="ROC Twente", kind="roc", active=True, version=roc.version)
    db.session.commit()
    data = {"name": "ROC van Twente (Hengelo)", "kind": "roc", "active": "y", "csrf_token": token}
    for version in (opened, None):  # the version the form was opened on, or none at all
        page = client.post(url, data={**data, "version": version} if version else data).get_data(as_text=True)
        assert "Iemand anders heeft ROC Twente intussen gewijzigd" in page
        db.session.refresh(roc)
        assert roc.name == "ROC Twente"
    # Saving again on the version now shown is a deliberate choice, and works.
    response = client.post(url, data={**data, "version": version_on(page)})
    assert response.status_code == 302
    db.session.refresh(roc)
    assert roc.name == "ROC van Twente (Hengelo)"


def test_a_members_only_change_moves_the_partnership_version(client, admin, factories):
    uwv = factories.OrganisationFactory(name="UWV Werkbedrijf Twente", kind="uwv")
    roc = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    partnership = factories.PartnershipFactory(name="Leerwerkakkoord Twente", members=[uwv])
    login_as(client, admin)
    url = f"/beheer/samenwerkingsverbanden/{partnership.id}"
    token = csrf_token(client, url)
    opened = version_on(client.get(url).get_data(as_text=True))
    data = {"name": "Leerwerkakkoord Twente", "scope": partnership.scope, "region_id": "0", "active": "y"}
    # Another admin adds the ROC as a member (and changes nothing else) in between.
    organisations.save_partnership(
        admin,
        partnership,
        name=partnership.name,
        scope=partnership.scope,
        region_id=None,
        description=partnership.description,
        members=[uwv, roc],
        active=True,
        version=partnership.version,
    )
    db.session.commit()
    assert str(partnership.version) != opened
    page = client.post(url, data={**data, "member_ids": [uwv.id], "version": opened, "csrf_token": token}).get_data(
        as_text=True
    )
    assert "Iemand anders heeft Leerwerkakkoord Twente intussen gewijzigd" in page
    db.session.refresh(partnership)
    assert {o.name for o in partnership.members} == {"UWV Werkbedrijf Twente", "ROC van Twente"}


def test_admin_creates_user_and_sees_one_time_password(client, admin, factories):
    org = factories.OrganisationFactory(name="Gemeente Hengelo")
    login_as(client, admin)
    token = csrf_token(client, "/beheer/gebruikers/nieuw")
    response = client.post(
        "/beheer/gebruikers/nieuw",
        data={
            "name": "Sanne Jansen",
            "email": "Sanne@Hengelo.nl",
            "role": "accountmanager",
            "organisation_id": org.id,
            "csrf_token": token,
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Eenmalig wachtwoord" in html
    user = db.session.scalar(select(User).where(User.email == "sanne@hengelo.nl"))
    assert user.organisation == org and user.role == "accountmanager"
    audit = db.session.scalar(
        select(AuditEvent).where(AuditEvent.object_type == "user", AuditEvent.object_id == user.id)
    )
    assert audit.actor_id == admin.id and audit.action == "create"


def test_duplicate_email_is_refused(client, admin, factories):
    factories.UserFactory(email="bestaat@example.nl")
    login_as(client, admin)
    token = csrf_token(client, "/beheer/gebruikers/nieuw")
    html = client.post(
        "/beheer/gebruikers/nieuw",
        data={
            "name": "Dubbel",
            "email": "bestaat@example.nl",
            "role": "partner",
            "organisation_id": admin.organisation_id,
            "csrf_token": token,
        },
    ).get_data(as_text=True)
    assert "Er bestaat al een gebruiker met dit e-mailadres." in html


def test_deactivate_user_ends_their_session(app, client, admin, factories):
    target = factories.UserFactory()
    victim_client = app.test_client()
    login_as(victim_client, target)
    assert victim_client.get("/").status_code == 200
    login_as(client, admin)
    token = csrf_token(client, f"/beheer/gebruikers/{target.id}")
    client.post(f"/beheer/gebruikers/{target.id}/actief", data={"active": "0", "csrf_token": token})
    assert target.active is False
    assert victim_client.get("/").status_code == 302


def test_admin_cannot_deactivate_self(client, admin):
    login_as(client, admin)
    token = csrf_token(client, f"/beheer/gebruikers/{admin.id}")
    response = client.post(
        f"/beheer/gebruikers/{admin.id}/actief", data={"active": "0", "csrf_token": token}, follow_redirects=True
    )
    assert "U kunt uw eigen account niet deactiveren." in response.get_data(as_text=True)
    assert admin.active


def test_reset_password_shows_new_password_once(client, admin, factories):
    target = factories.UserFactory()
    old_hash = target.password_hash
    login_as(client, admin)
    token = csrf_token(client, f"/beheer/gebruikers/{target.id}")
    html = client.post(f"/beheer/gebruikers/{target.id}/wachtwoord", data={"csrf_token": token}).get_data(as_text=True)
    assert "Eenmalig wachtwoord" in html
    assert target.password_hash != old_hash and target.session_version == 2


def test_user_list_searches(client, admin, factories):
    factories.UserFactory(name="Karin Bos")
    factories.UserFactory(name="Peter Smit")
    login_as(client, admin)
    html = client.get("/beheer/gebruikers?q=bos").get_data(as_text=True)
    assert "Karin Bos" in html and "Peter Smit" not in html


def test_missing_record_gives_dutch_404(client, admin):
    login_as(client, admin)
    response = client.get("/beheer/gebruikers/999999")
    assert response.status_code == 404 and "Pagina niet gevonden" in response.get_data(as_text=True)


# --- editing a user: optimistic locking ------------------------------------------------------


def _open_user_form(client, target) -> dict:
    """What the browser holds after opening the edit form: its CSRF token and version."""
    html = client.get(f"/beheer/gebruikers/{target.id}").get_data(as_text=True)
    version = re.search(
        r'name="version" type="hidden" value="(\d+)"|id="version" name="version" type="hidden" value="(\d+)"', html
    )
    version = version or re.search(r'name="version"[^>]*value="(\d+)"', html)
    token = csrf_token(client, f"/beheer/gebruikers/{target.id}")
    return {"csrf_token": token, "version": next(v for v in version.groups() if v)}


def _save_user(client, target, opened: dict, **changes):
    data = {
        "name": target.name,
        "email": target.email,
        "phone": target.phone,
        "role": target.role,
        "organisation_id": target.organisation_id,
        **opened,
        **changes,
    }
    return client.post(f"/beheer/gebruikers/{target.id}", data=data)


def test_admin_edit_saves_and_moves_the_version(client, admin, factories):
    target = factories.UserFactory(name="Karin Bos", role="accountmanager")
    login_as(client, admin)
    assert _save_user(client, target, _open_user_form(client, target), name="Karin de Bos").status_code == 302
    db.session.refresh(target)
    assert target.name == "Karin de Bos" and target.edit_version == 2


def test_an_edit_saved_meanwhile_is_not_overwritten(app, client, admin, factories):
    target = factories.UserFactory(name="Karin Bos", role="accountmanager", phone="053 111 1111")
    login_as(client, admin)
    opened = _open_user_form(client, target)
    other = app.test_client()  # a second admin saves first
    login_as(other, factories.UserFactory(role="admin", name="Beheerder Bea"))
    assert _save_user(other, target, _open_user_form(other, target), role="coordinator").status_code == 302

    response = _save_user(client, target, opened, phone="053 222 2222")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Iemand anders heeft Karin Bos intussen gewijzigd" in html
    db.session.refresh(target)
    assert (target.role, target.phone) == ("coordinator", "053 111 1111")  # nothing of the stale save
    # the page now carries the new version: saving again is a deliberate choice, and works
    again = {"csrf_token": opened["csrf_token"], "version": str(target.edit_version)}
    assert _save_user(client, target, again, role="coordinator", phone="053 222 2222").status_code == 302
    db.session.refresh(target)
    assert target.phone == "053 222 2222"


def test_the_users_own_profile_change_makes_an_open_admin_form_stale_but_a_sign_in_does_not(
    app, client, admin, factories
):
    target = factories.UserFactory(name="Karin Bos", role="accountmanager")
    login_as(client, admin)
    opened = _open_user_form(client, target)
    own = app.test_client()
    login_as(own, target)  # signing in writes the row (last_login_at): not an edit
    target.last_login_at = utcnow()
    db.session.commit()
    assert _save_user(client, target, opened, name="Karin de Bos").status_code == 302

    opened = _open_user_form(client, target)
    token = csrf_token(own, "/profiel")
    own.post(
        "/profiel",
        data={"_form": "prefs", "csrf_token": token, "prefs-locale": "nl", "prefs-phone": "06 1234 5678"},
    )
    db.session.refresh(target)
    assert target.phone == "06 1234 5678"
    response = _save_user(client, target, opened, phone="")
    assert response.status_code == 200 and "intussen gewijzigd" in response.get_data(as_text=True)
    db.session.refresh(target)
    assert target.phone == "06 1234 5678"


def test_a_user_edit_without_a_version_is_refused(client, admin, factories):
    target = factories.UserFactory(name="Karin Bos")
    login_as(client, admin)
    opened = _open_user_form(client, target)
    del opened["version"]
    assert _save_user(client, target, opened, name="Iemand Anders").status_code == 200
    db.session.refresh(target)
    assert target.name == "Karin Bos"
