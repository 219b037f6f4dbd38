"""No edit is ever lost, also after a refusal (crm.edit_merge), on every versioned form: two
people (two test clients) edit the same record.

- Non-overlapping changes both survive (the second save is merged onto the first).
- Overlapping changes are refused: the field is marked with the colleague's value, who and
  when; every other field shows what is stored, and nothing is overwritten unseen.
- Saving the refused form writes exactly the user's changes (the colleague's other changes stay).
- A save that changes nothing writes no audit event and does not move the version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import AuditEvent
from tests.conftest import login_as
from tests.two_sessions import Session


@dataclass
class Case:
    """One versioned form: where it is, who edits, and three fields (form name, new value, how
    to read the stored value)."""

    url: str
    record: Any
    first: Any  # user of session A
    second: Any  # user of session B
    x: tuple[str, Any, str]  # both change it
    y: tuple[str, Any, str]  # only A changes it
    z: tuple[str, Any, str]  # only B changes it
    x_theirs: Any = None  # B's value for x (differs from A's)
    version_attr: str = "version"
    audit_type: str = ""


def _stored(case: Case, attr):
    """The stored value, as the form posts it (text; a list as sorted texts; a record as its id)."""
    db.session.expire_all()
    value = attr(case.record) if callable(attr) else getattr(case.record, attr)
    return _text(value)


def _text(value):
    if isinstance(value, list | tuple | set):
        return sorted(_text(v) for v in value)
    if hasattr(value, "id"):
        return str(value.id)
    if value is True:
        return "y"
    return "" if value is None or value is False else str(value)


def _sessions(app, case: Case) -> tuple[Session, Session]:
    a, b = app.test_client(), app.test_client()
    login_as(a, case.first)
    login_as(b, case.second)
    return Session(a, case.url).open(), Session(b, case.url).open()


def _events(case: Case) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.object_type == case.audit_type, AuditEvent.object_id == case.record.id)
    )


def check_non_overlapping_changes_both_survive(app, case: Case) -> None:
    a, b = _sessions(app, case)
    (zf, zv, za), (yf, yv, ya) = case.z, case.y
    assert b.save(**{zf: zv}).status_code == 302
    response = a.save(**{yf: yv})
    assert response.status_code == 302, a.text()
    assert _stored(case, za) == _text(zv) and _stored(case, ya) == _text(yv)
    shown = a.client.get(response.headers["Location"]).get_data(as_text=True)  # type: ignore[attr-defined]
    assert "Uw wijzigingen zijn daaraan toegevoegd" in shown
    assert case.second.name in shown


def check_overlap_is_marked_and_resaving_writes_only_mine(app, case: Case) -> None:
    a, b = _sessions(app, case)
    (xf, xv, xa), (yf, yv, ya), (zf, zv, za) = case.x, case.y, case.z
    original_y = _stored(case, ya)
    assert b.save(**{xf: case.x_theirs, zf: zv}).status_code == 302
    response = a.save(**{xf: xv, yf: yv})
    assert response.status_code == 200
    page = a.text()
    assert f'data-conflict="{xf}"' in page  # the field both changed is marked ...
    assert "Ook gewijzigd door " + case.second.name in page  # ... with who changed it
    assert "Iemand anders heeft" in page and case.second.name in page
    # Nothing was overwritten unseen: what B saved is stored, A's changes are not.
    assert _stored(case, xa) == _text(case.x_theirs) and _stored(case, za) == _text(zv)
    assert _stored(case, ya) == original_y
    # The form holds A's own changes and, for the field only B changed, B's value.
    assert _shown(a.form, xf) == _posted(xv) and _shown(a.form, yf) == _posted(yv)
    assert _shown(a.form, zf) == _posted(zv)
    assert a.form["version"] == str(_stored(case, case.version_attr))
    # Saving now writes exactly A's changes; B's change of z stays.
    assert a.save().status_code == 302, a.text()
    assert _stored(case, xa) == _text(xv) and _stored(case, ya) == _text(yv) and _stored(case, za) == _text(zv)


def check_changes_kept_through_a_refusal_still_count_as_mine(app, case: Case) -> None:
    """After a refusal the form's new snapshot is the stored record: when B saves yet again
    (another field) before A saves the refused form, A's changes are still A's and are merged."""
    a, b = _sessions(app, case)
    (xf, xv, xa), (yf, yv, ya), (zf, zv, za) = case.x, case.y, case.z
    assert b.save(**{xf: case.x_theirs}).status_code == 302
    assert a.save(**{xf: xv, yf: yv}).status_code == 200  # x overlaps: refused, marked
    b.open()
    assert b.save(**{zf: zv}).status_code == 302  # B again, another field
    assert a.save().status_code == 302, a.text()  # merged: nothing overlaps any more
    assert _stored(case, xa) == _text(xv) and _stored(case, ya) == _text(yv) and _stored(case, za) == _text(zv)


def _posted(value) -> list[str]:
    if isinstance(value, list):
        return sorted(str(v) for v in value)
    if value is True:
        return ["y"]
    if value is None or value is False:
        return []
    return [str(value)]


def _shown(form, name) -> list[str]:
    return sorted(form.getlist(name))


def check_a_save_without_changes_records_nothing(app, case: Case) -> None:
    a, _b = _sessions(app, case)
    version, events = _stored(case, case.version_attr), _events(case)
    assert a.save().status_code == 302, a.text()
    assert _stored(case, case.version_attr) == version
    assert _events(case) == events


CHECKS = [
    check_non_overlapping_changes_both_survive,
    check_overlap_is_marked_and_resaving_writes_only_mine,
    check_changes_kept_through_a_refusal_still_count_as_mine,
    check_a_save_without_changes_records_nothing,
]


# --- the cases -----------------------------------------------------------------------------------


def employer_case(factories) -> Case:
    am = factories.UserFactory(role="accountmanager", name="Marieke Visser")
    carla = factories.UserFactory(role="coordinator", name="Coördinator Carla")
    employer = factories.EmployerFactory(name="Metaalwerk Oost", contactpersoon=am, phone="053 481 2000")
    return Case(
        url=f"/werkgevers/{employer.id}/bewerken",
        record=employer,
        first=am,
        second=carla,
        x=("phone", "074 305 6800", "phone"),
        x_theirs="053 407 3349",
        y=("name", "Metaalwerk Oost-Twente", "name"),
        z=("city", "Hengelo", "city"),
        audit_type="employer",
    )


def person_case(factories) -> Case:
    am = factories.UserFactory(role="accountmanager", name="Marieke Visser")
    carla = factories.UserFactory(role="coordinator", name="Coördinator Carla")
    employer = factories.EmployerFactory(name="Zorggroep Manna", contactpersoon=am)
    petra = factories.EmployerPersonFactory(employer=employer, name="Petra de Vries", function="HR-adviseur")
    return Case(
        url=f"/werkgevers/{employer.id}/personen/{petra.id}/bewerken",
        record=petra,
        first=am,
        second=carla,
        x=("function", "Recruiter", "function"),
        x_theirs="HR-manager",
        y=("phone", "053 481 2000", "phone"),
        z=("email", "petra@manna.example", "email"),
        audit_type="employer_contact",
    )


def vacancy_case(factories) -> Case:
    am = factories.UserFactory(role="accountmanager", name="Marieke Visser")
    carla = factories.UserFactory(role="coordinator", name="Coördinator Carla")
    employer = factories.EmployerFactory(name="Metaalwerk Oost", contactpersoon=am)
    # Two partners whose stored order is not the alphabetical one (a no-op save logged them).
    zeta = factories.OrganisationFactory(name="Zorgpartner Twente", kind="gemeente")
    alfa = factories.OrganisationFactory(name="Alfa-college", kind="gemeente")
    vacancy = factories.VacancyFactory(employer=employer, title="Monteur", organisations=[zeta, alfa])
    return Case(
        url=f"/vacatures/{vacancy.id}/bewerken",
        record=vacancy,
        first=am,
        second=carla,
        x=("title", "Monteur werktuigbouw", "title"),
        x_theirs="Leerling-monteur",
        y=("positions", "3", "positions"),
        z=("organisation_ids", [alfa.id], "organisations"),
        audit_type="vacancy",
    )


def participant_case(factories) -> Case:
    gemeente = factories.OrganisationFactory(name="Gemeente Enschede", kind="gemeente")
    wendy = factories.UserFactory(role="partner", name="Wendy Werkcoach", organisation=gemeente)
    ahmed = factories.UserFactory(role="accountmanager", name="Ahmed Accountmanager", organisation=gemeente)
    sanne = factories.ParticipantFactory(
        first_name="Sanne",
        last_name="de Vries",
        birth_year=2004,
        phone="06 1234 5678",
        created_by_id=wendy.id,
        consent_purpose="Begeleiding",
    )
    return Case(
        url=f"/deelnemers/{sanne.id}/bewerken",
        record=sanne,
        first=wendy,
        second=ahmed,
        x=("phone", "06 8765 4321", "phone"),
        x_theirs="06 1111 2222",
        y=("last_name", "de Vries-Jansen", "last_name"),
        z=("doelgroep", "jongere_zonder_startkwalificatie", "doelgroep"),
        audit_type="participant",
    )


def trajectory_case(factories) -> Case:
    roc = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    first = factories.UserFactory(role="partner", name="Ria Roc", organisation=roc)
    second = factories.UserFactory(role="partner", name="Sam School", organisation=roc)
    trajectory = factories.TrajectoryFactory(qualification_name="Monteur", regeling="LLO", guidance_hours=10)
    factories.TrajectoryOrganisationFactory(trajectory=trajectory, organisation=roc, role="school")
    return Case(
        url=f"/trajecten/{trajectory.id}/bewerken",
        record=trajectory,
        first=first,
        second=second,
        x=("qualification_name", "Eerste monteur", "qualification_name"),
        x_theirs="Monteur werktuigbouw",
        y=("regeling", "SLIM", "regeling"),
        z=("guidance_hours", "40", "guidance_hours"),
        audit_type="trajectory",
    )


def _admins(factories):
    return (
        factories.UserFactory(role="admin", name="Beheerder Bert"),
        factories.UserFactory(role="admin", name="Beheerder Bea"),
    )


def organisation_case(factories) -> Case:
    bert, bea = _admins(factories)
    roc = factories.OrganisationFactory(name="ROC Twente", kind="roc")
    return Case(
        url=f"/beheer/organisaties/{roc.id}",
        record=roc,
        first=bert,
        second=bea,
        x=("name", "ROC van Twente", "name"),
        x_theirs="ROC Twente (Hengelo)",
        y=("kind", "kenniscentrum", "kind"),
        z=("active", None, "active"),
        audit_type="organisation",
    )


def partnership_case(factories) -> Case:
    bert, bea = _admins(factories)
    gemeente = factories.OrganisationFactory(name="Gemeente Enschede", kind="gemeente")
    roc = factories.OrganisationFactory(name="ROC Twente", kind="roc")
    akkoord = factories.PartnershipFactory(name="Leerwerkakkoord Twente", description="Samen leren")
    akkoord.members = [roc, gemeente]
    return Case(
        url=f"/beheer/samenwerkingsverbanden/{akkoord.id}",
        record=akkoord,
        first=bert,
        second=bea,
        x=("name", "Leerwerkakkoord Twente 2027", "name"),
        x_theirs="Leerwerkakkoord Twente-Achterhoek",
        y=("description", "Samen leren en werken", "description"),
        z=("member_ids", [gemeente.id], "members"),
        audit_type="partnership",
    )


def user_case(factories) -> Case:
    bert, bea = _admins(factories)
    karin = factories.UserFactory(role="accountmanager", name="Karin Bos", phone="053 481 2000")
    return Case(
        url=f"/beheer/gebruikers/{karin.id}",
        record=karin,
        first=bert,
        second=bea,
        x=("phone", "06 1234 5678", "phone"),
        x_theirs="074 305 6800",
        y=("name", "Karin Bos-Jansen", "name"),
        z=("role", "coordinator", "role"),
        version_attr="edit_version",
        audit_type="user",
    )


def programme_period_case(factories) -> Case:
    bert, bea = _admins(factories)
    period = factories.ProgrammePeriodFactory(name="2031", starts_on=date(2031, 1, 1), ends_on=date(2031, 12, 31))
    return Case(
        url=f"/beheer/programmaperiodes/{period.id}",
        record=period,
        first=bert,
        second=bea,
        x=("ends_on", "2031-08-31", "ends_on"),
        x_theirs="2031-06-30",
        y=("name", "2031 (kort)", "name"),
        z=("starts_on", "2031-02-01", "starts_on"),
        audit_type="programme_period",
    )


CASES = {
    "programme_period": programme_period_case,
    "organisation": organisation_case,
    "partnership": partnership_case,
    "user": user_case,
    "trajectory": trajectory_case,
    "employer": employer_case,
    "person": person_case,
    "vacancy": vacancy_case,
    "participant": participant_case,
}


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
@pytest.mark.parametrize("form", list(CASES))
def test_two_people_edit_the_same_record(app, session, factories, form, check):
    check(app, CASES[form](factories))


@pytest.mark.parametrize("opened", ["garbled", "other-key", "older-version"])
def test_a_tampered_or_replayed_snapshot_merges_nothing_unseen(app, session, factories, opened):
    """Without a trustworthy snapshot every field that differs from the stored record counts as
    changed by both: the save is refused, each such field is marked, nothing is written. A
    posted version edited to the current one does not save blind: the snapshot's version counts."""
    from itsdangerous import URLSafeSerializer

    from crm.edit_merge import SALT

    case = employer_case(factories)
    a, b = _sessions(app, case)
    assert b.save(phone="053 407 3349").status_code == 302
    forged = {
        "garbled": a.form["opened"][:-4] + "AAAA",
        # claims A opened the form with the phone B saved, so A's old phone would win unseen
        "other-key": URLSafeSerializer("not the app's key", salt=SALT).dumps(
            {"v": int(a.form["version"]), "f": {"phone": "053 407 3349"}}
        ),
        "older-version": a.form["opened"],  # a snapshot of another version than the one posted
    }[opened]
    version = a.form["version"] if opened != "older-version" else str(int(a.form["version"]) + 1)
    response = a.save(opened=forged, version=version, name="Metaalwerk Oost-Twente")
    if opened == "older-version":
        # the signed snapshot wins over an edited version: a stale save, merged (A left the phone be)
        assert response.status_code == 302
        assert _stored(case, "phone") == "053 407 3349" and _stored(case, "name") == "Metaalwerk Oost-Twente"
        return
    assert response.status_code == 200
    assert 'data-conflict="phone"' in a.text() and 'data-conflict="name"' in a.text()
    assert _stored(case, "phone") == "053 407 3349" and _stored(case, "name") == "Metaalwerk Oost"
