"""The error contract between services and views (crm/services/errors.py).

- A rule that refuses inside a service (``PermissionDenied``) reaches the error handler and
  answers 403, also from a view whose only ``except`` is ``except ServiceError``.
- Messages that services raise are translated: an English-speaking user reads them in English.
- A save that slips past the version check is refused by the version column at the flush;
  the service raises ``StaleRecord`` without rolling back, and the view that commits rolls back
  and shows the message, with nothing written.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import event, func, select, update

from crm import permissions
from crm.extensions import db
from crm.models import AuditEvent, Employer, Organisation, Participant, User, Vacancy, VacancyStatusChange
from crm.services import vacancies
from crm.services.errors import PermissionDenied, ServiceError
from tests.conftest import csrf_token, login_as
from tests.test_employer_views import employer_form
from tests.test_participants import form_data


@pytest.fixture
def admin(factories):
    return factories.UserFactory(role="admin", name="Beheerder Bert")


@pytest.fixture
def gemeente_user(factories):
    gemeente = factories.OrganisationFactory(name="Gemeente Enschede", kind="gemeente")
    return factories.UserFactory(role="partner", name="Wendy Werkcoach", organisation=gemeente)


def test_permission_denied_is_not_a_service_error():
    assert not issubclass(PermissionDenied, ServiceError)


def test_a_rule_refused_inside_a_service_answers_403_from_a_view_that_catches_service_error(
    client, admin, factories, monkeypatch
):
    """The admin pages let admins in (``can_manage_organisations``); ``accounts.update_user``
    asks its own rule (``can_manage_users``). When that rule refuses, the edit page's
    ``except ServiceError`` must not turn the refusal into a form message."""
    target = factories.UserFactory(name="Karin Bos", role="accountmanager")
    login_as(client, admin)
    token = csrf_token(client, f"/beheer/gebruikers/{target.id}")
    monkeypatch.setattr(permissions, "can_manage_users", lambda user: False)
    response = client.post(
        f"/beheer/gebruikers/{target.id}",
        data={
            "csrf_token": token,
            "version": str(target.edit_version),
            "name": "Karin de Bos",
            "email": target.email,
            "phone": "",
            "role": target.role,
            "organisation_id": target.organisation_id,
        },
    )
    assert response.status_code == 403
    assert "U heeft geen toegang tot deze actie." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, target.id).name == "Karin Bos"
    refusals = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "permission_denied")).all()
    assert [(e.actor_id, e.summary) for e in refusals] == [(admin.id, f"POST /beheer/gebruikers/{target.id}")]


def _another_process_saves_first(model, record_id: int, **values):
    """Between the service's version check and its write, the row moves on a version (as a
    save by another process would): a ``before_flush`` hook writes it on the same connection."""

    done = []

    def write(session, _context, _instances):
        if not done and any(isinstance(o, model) and o.id == record_id for o in session.dirty):
            done.append(True)
            session.connection().execute(
                update(model).where(model.id == record_id).values(version=model.version + 1, **values)
            )

    event.listen(db.session, "before_flush", write)
    return write


def test_a_save_that_slips_past_the_version_check_is_refused_on_the_page_with_nothing_written(
    client, factories, gemeente_user
):
    participant = factories.ParticipantFactory(
        first_name="Sanne", last_name="de Vries", created_by_id=gemeente_user.id, consent_purpose="Begeleiding"
    )
    login_as(client, gemeente_user)
    token = csrf_token(client, f"/deelnemers/{participant.id}/bewerken")
    hook = _another_process_saves_first(Participant, participant.id, phone="06 8765 4321")
    try:
        response = client.post(
            f"/deelnemers/{participant.id}/bewerken",
            data=form_data(token, last_name="de Vries-Jansen", consent_given=None, version="1"),
        )
    finally:
        event.remove(db.session, "before_flush", hook)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Iemand anders heeft deze deelnemer intussen gewijzigd" in html
    assert 'value="de Vries-Jansen"' in html  # the user's input is kept
    db.session.expire_all()
    assert db.session.get(Participant, participant.id).last_name == "de Vries"
    assert not db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.object_type == "participant", AuditEvent.action == "update")
    )


def _post_while_another_process_saves(client, model, record_id: int, url: str, data: dict, **headers):
    hook = _another_process_saves_first(model, record_id)
    try:
        return client.post(url, data=data, headers=headers)
    finally:
        event.remove(db.session, "before_flush", hook)


def test_an_employer_edit_that_slips_past_the_version_check_is_refused_with_nothing_written(client, factories):
    am = factories.UserFactory(role="accountmanager", name="Marieke Visser")
    employer = factories.EmployerFactory(name="Bouwbedrijf Ter Horst B.V.", contactpersoon=am)
    login_as(client, am)
    url = f"/werkgevers/{employer.id}/bewerken"
    data = {**employer_form(name="Bouwbedrijf Ter Horst"), "version": "1", "csrf_token": csrf_token(client, url)}
    response = _post_while_another_process_saves(client, Employer, employer.id, url, data)
    assert response.status_code == 200
    assert "Iemand anders heeft deze werkgever intussen gewijzigd" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Employer, employer.id).name == "Bouwbedrijf Ter Horst B.V."


def test_an_organisation_edit_that_slips_past_the_version_check_is_refused_with_nothing_written(
    client, admin, factories
):
    roc = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    login_as(client, admin)
    url = f"/beheer/organisaties/{roc.id}"
    data = {"name": "ROC Twente", "kind": "roc", "active": "y", "version": "1", "csrf_token": csrf_token(client, url)}
    response = _post_while_another_process_saves(client, Organisation, roc.id, url, data)
    assert response.status_code == 200
    assert "Iemand anders heeft ROC van Twente intussen gewijzigd" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Organisation, roc.id).name == "ROC van Twente"


def test_a_board_move_that_slips_past_the_version_check_is_refused_with_nothing_written(client, factories):
    am = factories.UserFactory(role="accountmanager", name="Marieke Visser")
    vacancy = factories.VacancyFactory(employer=factories.EmployerFactory(contactpersoon=am), status="nieuw")
    login_as(client, am)
    data = {
        "csrf_token": csrf_token(client, "/vacatures/bord"),
        "naar": "intake_gedaan",
        "van": "nieuw",
        "bron": "bord",
    }
    response = _post_while_another_process_saves(
        client, Vacancy, vacancy.id, f"/vacatures/{vacancy.id}/status", data, **{"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Iemand anders heeft deze vacature intussen gewijzigd. Bekijk de nieuwe stand" in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert db.session.get(Vacancy, vacancy.id).status == "nieuw"
    assert not db.session.scalar(select(func.count()).select_from(VacancyStatusChange))


# --- service messages speak the user's language -----------------------------------------------------

CATALOGUE = Path(__file__).resolve().parent.parent / "crm" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


@pytest.fixture
def english_with(app, tmp_path):
    """The real English catalogue plus the translations a test gives, as the lead will add them
    to ``crm/translations`` (this branch adds Dutch strings only)."""
    babel = app.extensions["babel"]
    directories = babel.translation_directories
    cache = babel.instance.domain_instance.cache

    def install(extra: dict[str, str]) -> None:
        with open(CATALOGUE, "rb") as source:
            catalogue = read_po(source)
        for msgid, msgstr in extra.items():
            catalogue.add(msgid, msgstr)
        folder = tmp_path / "en" / "LC_MESSAGES"
        folder.mkdir(parents=True)
        with open(folder / "messages.mo", "wb") as target:
            write_mo(target, catalogue)
        babel.translation_directories = [str(tmp_path)]
        cache.clear()

    yield install
    babel.translation_directories = directories
    cache.clear()


def test_an_english_speaking_user_reads_a_service_message_in_english(client, factories, english_with):
    english_with({"Geef een reden op voor '%(status)s'.": "Give a reason for '%(status)s'."})
    user = factories.UserFactory(role="accountmanager", name="Emma Brown", locale="en")
    employer = factories.EmployerFactory(name="Kaasmakerij Tubbergen", contactpersoon=user)
    vacancy = factories.VacancyFactory(employer=employer, status="kandidaten_voorgesteld")
    factories.VacancyStatusChangeFactory(vacancy=vacancy, to_status="kandidaten_voorgesteld")
    login_as(client, user)
    token = csrf_token(client, "/vacatures/bord")
    post = {"csrf_token": token, "naar": "vervuld", "van": "kandidaten_voorgesteld", "bron": "bord"}
    html = client.post(f"/vacatures/{vacancy.id}/status", data=post, headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "Give a reason for &#39;" in html
    assert "Geef een reden op" not in html
    db.session.refresh(vacancy)
    assert vacancy.status == "kandidaten_voorgesteld"


def test_outside_a_request_a_service_message_is_dutch_with_its_values(session, factories):
    """Celery tasks and the CLI run services in an application context without a request:
    gettext works there and fills in the placeholders (no signed-in user: Dutch)."""
    user = factories.UserFactory(role="accountmanager")
    vacancy = factories.VacancyFactory(employer=factories.EmployerFactory(contactpersoon=user), status="nieuw")
    with pytest.raises(ServiceError) as refused:
        vacancies.change_status(user, vacancy, "vervuld")
    assert str(refused.value) == (
        "Een vacature met status 'Nieuw' kan niet naar 'Vervuld'. Mogelijk is: 'Intake gedaan' of 'Ingetrokken' "
        "of 'Verlopen'."
    )
