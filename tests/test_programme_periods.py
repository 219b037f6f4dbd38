"""Programme periods (beheer): the rules of the service, the admin pages, the audit trail and
the way to a missing period from the ambition page."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.models import AuditEvent, ProgrammePeriod
from crm.services import pipeline, programme_periods
from crm.services.errors import PermissionDenied, StaleRecord
from crm.services.programme_periods import PeriodRefused
from tests.conftest import csrf_token, login_as


@pytest.fixture
def admin(factories):
    return factories.UserFactory(role="admin", name="Beheerder Bert")


@pytest.fixture
def coordinator(factories):
    return factories.UserFactory(role="coordinator", name="Coördinator Carla")


def period(name: str, starts_on: date, ends_on: date) -> ProgrammePeriod:
    """A period straight in the table (the service has its own tests)."""
    record = ProgrammePeriod(name=name, starts_on=starts_on, ends_on=ends_on)
    db.session.add(record)
    db.session.flush()
    return record


def year(n: int) -> tuple[date, date]:
    return date(n, 1, 1), date(n, 12, 31)


def period_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ProgrammePeriod))


def events(action: str | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.object_type == "programme_period").order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query))


def text(response) -> str:
    return response.get_data(as_text=True)


# --- the service: create, change, refuse ---------------------------------------------------------------


def test_create_is_audited(session, admin):
    created = programme_periods.save_period(
        admin, None, name="  2027 ", starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31)
    )
    assert (created.name, created.starts_on, created.ends_on) == ("2027", date(2027, 1, 1), date(2027, 12, 31))
    (event,) = events()
    assert (event.action, event.actor_id, event.object_id) == ("create", admin.id, created.id)
    assert event.changes == {
        "name": [None, "2027"],
        "starts_on": [None, "2027-01-01"],
        "ends_on": [None, "2027-12-31"],
    }
    assert "2027 (01-01-2027 t/m 31-12-2027)" in event.summary


def test_only_admins_keep_periods(session, coordinator):
    with pytest.raises(PermissionDenied):
        programme_periods.save_period(
            coordinator, None, name="2027", starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31)
        )
    assert period_count() == 0 and events() == []


@pytest.mark.parametrize("name", ["2026", "2026 ", " 2026"])
def test_duplicate_name_is_refused_ignoring_case_and_spaces(session, admin, name):
    period("2026", *year(2026))
    period("Periode A", *year(2030))
    with pytest.raises(PeriodRefused, match="Er bestaat al een programmaperiode met de naam '2026'") as refused:
        programme_periods.save_period(admin, None, name=name, starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31))
    assert refused.value.field == "name"
    with pytest.raises(PeriodRefused, match="met de naam 'Periode A'"):
        programme_periods.save_period(
            admin, None, name="periode a", starts_on=date(2028, 1, 1), ends_on=date(2028, 12, 31)
        )
    assert period_count() == 2 and events() == []


def test_end_before_start_is_refused(session, admin):
    with pytest.raises(PeriodRefused) as refused:
        programme_periods.save_period(admin, None, name="2027", starts_on=date(2027, 12, 31), ends_on=date(2027, 1, 1))
    assert refused.value.field == "ends_on"
    assert str(refused.value) == (
        "De einddatum (01-01-2027) ligt vóór de begindatum (31-12-2027). "
        "Een periode eindigt op of na de dag waarop ze begint."
    )
    assert period_count() == 0


def test_a_period_of_one_day_is_fine(session, admin):
    one_day = programme_periods.save_period(
        admin, None, name="Startdag", starts_on=date(2027, 9, 1), ends_on=date(2027, 9, 1)
    )
    assert one_day.starts_on == one_day.ends_on


BEGIN_AFTER = "Laat de periode na 31-12-2026 beginnen."
END_BEFORE = "Laat de periode vóór 01-01-2026 eindigen."
EITHER = "Laat de periode na 31-12-2026 beginnen of vóór 01-01-2026 eindigen."


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "advice"),
    [
        (date(2025, 7, 1), date(2026, 6, 30), END_BEFORE),  # overlaps the start of 2026
        (date(2026, 7, 1), date(2027, 6, 30), BEGIN_AFTER),  # overlaps the end of 2026
        (date(2026, 3, 1), date(2026, 3, 31), EITHER),  # inside 2026
        (date(2025, 1, 1), date(2027, 12, 31), EITHER),  # around 2026
        (date(2025, 1, 1), date(2026, 1, 1), END_BEFORE),  # shares 2026's first day
        (date(2026, 12, 31), date(2027, 12, 31), BEGIN_AFTER),  # shares 2026's last day
    ],
)
def test_overlapping_periods_are_refused(session, admin, starts_on, ends_on, advice):
    period("2026", *year(2026))
    with pytest.raises(PeriodRefused) as refused:
        programme_periods.save_period(admin, None, name="Nieuw", starts_on=starts_on, ends_on=ends_on)
    message = str(refused.value)
    assert message.startswith("Deze periode overlapt met programmaperiode 2026 (01-01-2026 t/m 31-12-2026).")
    assert "een traject zou dan in twee periodes meetellen" in message
    assert message.endswith(advice)
    assert refused.value.field == "starts_on"
    assert period_count() == 1 and events() == []


def test_adjacent_periods_do_not_overlap(session, admin):
    period("2026", *year(2026))
    programme_periods.save_period(admin, None, name="2025", starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31))
    programme_periods.save_period(admin, None, name="2027", starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31))
    assert period_count() == 3


def test_edit_is_audited_and_may_keep_its_own_name_and_days(session, admin):
    p2026 = period("2026", *year(2026))
    period("2027", *year(2027))
    programme_periods.save_period(
        admin, p2026, name="2026", starts_on=date(2026, 2, 1), ends_on=date(2026, 12, 31), version=p2026.version
    )
    (event,) = events("update")
    assert event.changes == {"starts_on": ["2026-01-01", "2026-02-01"]}
    # Saving unchanged writes nothing.
    programme_periods.save_period(
        admin, p2026, name="2026", starts_on=date(2026, 2, 1), ends_on=date(2026, 12, 31), version=p2026.version
    )
    assert len(events("update")) == 1
    # Into the next period: refused, unchanged.
    with pytest.raises(PeriodRefused, match="overlapt met programmaperiode 2027"):
        programme_periods.save_period(
            admin, p2026, name="2026", starts_on=date(2026, 2, 1), ends_on=date(2027, 1, 31), version=p2026.version
        )
    with pytest.raises(PeriodRefused, match="met de naam '2027'"):
        programme_periods.save_period(
            admin, p2026, name="2027", starts_on=date(2026, 2, 1), ends_on=date(2026, 12, 31), version=p2026.version
        )
    db.session.refresh(p2026)
    assert (p2026.name, p2026.starts_on, p2026.ends_on) == ("2026", date(2026, 2, 1), date(2026, 12, 31))
    assert len(events("update")) == 1


def test_no_overlap_keeps_the_stand_counting_each_trajectory_once(session, admin, factories):
    """The pipeline counts a trajectory in the stand of every period whose days hold its start:
    with overlap refused, a trajectory started on a boundary day counts in one period only."""
    partnership = factories.PartnershipFactory()
    first = programme_periods.save_period(
        admin, None, name="2025", starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31)
    )
    second = programme_periods.save_period(
        admin, None, name="2026", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31)
    )
    factories.TrajectoryFactory(partnership=partnership, status="gestart", actual_start=date(2025, 12, 31))
    stand = {
        r.period.name: r.lines[-1].realised for r in pipeline.ambition_reports([partnership.id], on=date(2026, 6, 1))
    }
    assert stand == {"2025": 1, "2026": 0}
    with pytest.raises(PeriodRefused, match="overlapt met programmaperiode 2025"):
        programme_periods.save_period(
            admin, second, name="2026", starts_on=date(2025, 12, 31), ends_on=date(2026, 12, 31), version=second.version
        )
    assert programme_periods.usage([first.id, second.id])[first.id].started == 1
    assert programme_periods.usage([first.id, second.id])[second.id].started == 0


def test_usage_counts_ambitions_linked_trajectories_and_the_stand(session, factories):
    p2026 = period("2026", *year(2026))
    other = period("2025", *year(2025))
    partnership = factories.PartnershipFactory()
    factories.AmbitionFactory(partnership=partnership, period=p2026, kind="duaal")
    factories.AmbitionFactory(partnership=partnership, period=p2026, kind="evc")
    factories.AmbitionFactory(partnership=partnership, period=other, kind="evc")
    factories.TrajectoryFactory(partnership=partnership, period=p2026)  # linked, not started
    factories.TrajectoryFactory(partnership=partnership, status="gestart", actual_start=date(2026, 3, 1))
    factories.TrajectoryFactory(
        partnership=partnership, status="uitgevallen", actual_start=date(2026, 4, 1), dropout_reason="verhuisd"
    )
    factories.TrajectoryFactory(partnership=partnership, status="gestart", actual_start=date(2025, 3, 1))
    usage = programme_periods.usage_of(p2026)
    assert (usage.ambitions, usage.trajectories, usage.started) == (2, 1, 2)
    assert usage.in_use
    stand = {
        r.period.name: r.lines[-1].realised for r in pipeline.ambition_reports([partnership.id], on=date(2026, 6, 1))
    }
    assert stand["2026"] == usage.started  # the same rule as the ambition table


def test_list_is_newest_first(session, admin):
    period("2025", *year(2025))
    period("2027", *year(2027))
    period("2026", *year(2026))
    assert [p.name for p, _usage in programme_periods.list_periods(admin)] == ["2027", "2026", "2025"]


# --- the service: delete ------------------------------------------------------------------------------


def test_delete_an_unused_period_is_audited(session, admin):
    unused = period("2030", *year(2030))
    period_id = unused.id
    programme_periods.delete_period(admin, unused)
    assert db.session.get(ProgrammePeriod, period_id) is None
    (event,) = events("delete")
    assert (event.actor_id, event.object_id) == (admin.id, period_id)
    assert event.changes == {
        "name": ["2030", None],
        "starts_on": ["2030-01-01", None],
        "ends_on": ["2030-12-31", None],
    }


def test_delete_is_refused_while_an_ambition_or_trajectory_refers_to_it(session, admin, factories):
    with_ambition = period("2026", *year(2026))
    with_trajectory = period("2027", *year(2027))
    factories.AmbitionFactory(period=with_ambition)
    factories.TrajectoryFactory(period=with_trajectory)
    factories.TrajectoryFactory(period=with_trajectory)
    with pytest.raises(PeriodRefused) as refused:
        programme_periods.delete_period(admin, with_ambition)
    assert str(refused.value).startswith(
        "Programmaperiode 2026 kan niet worden verwijderd: er verwijzen nog 1 ambitie en 0 trajecten naar."
    )
    with pytest.raises(PeriodRefused, match="nog 0 ambities en 2 trajecten naar"):
        programme_periods.delete_period(admin, with_trajectory)
    assert period_count() == 2 and events("delete") == []


def test_coordinator_may_not_delete(session, coordinator):
    unused = period("2030", *year(2030))
    with pytest.raises(PermissionDenied):
        programme_periods.delete_period(coordinator, unused)
    assert period_count() == 1


def test_the_database_refuses_what_slips_past_the_checks(session, admin, factories, monkeypatch):
    """A reference or a name committed by someone else between the check and the write: the
    foreign keys and the unique name refuse it, with the same kind of message, and the session
    stays usable. (The checks are switched off here to get there without a second process.)"""
    used = period("2026", *year(2026))
    factories.AmbitionFactory(period=used)
    monkeypatch.setattr(programme_periods, "usage_of", lambda _period: programme_periods.PeriodUsage())
    with pytest.raises(PeriodRefused, match="net in gebruik genomen"):
        programme_periods.delete_period(admin, used)
    monkeypatch.setattr(programme_periods, "_name_taken", lambda _name, _exclude: None)
    with pytest.raises(PeriodRefused, match="Er bestaat al een programmaperiode met de naam '2026'"):
        programme_periods.save_period(admin, None, name="2026", starts_on=date(2030, 1, 1), ends_on=date(2030, 12, 31))
    assert [p.name for p in db.session.scalars(select(ProgrammePeriod))] == ["2026"]
    assert events() == []


# --- the pages ------------------------------------------------------------------------------------------


def test_list_page_empty_state_and_link_from_the_admin_tabs(client, admin):
    login_as(client, admin)
    users_page = text(client.get("/beheer/gebruikers"))
    assert 'href="/beheer/programmaperiodes"' in users_page
    page = text(client.get("/beheer/programmaperiodes"))
    assert "Er zijn nog geen programmaperiodes." in page
    assert 'href="/beheer/programmaperiodes/nieuw"' in page


def test_list_page_shows_periods_newest_first_with_their_counts(client, admin, factories):
    p2025 = period("2025", *year(2025))
    period("2026", *year(2026))
    period("2024", *year(2024))
    factories.AmbitionFactory(period=p2025)
    factories.TrajectoryFactory(period=p2025, status="gestart", actual_start=date(2025, 5, 1))
    login_as(client, admin)
    page = text(client.get("/beheer/programmaperiodes"))
    names = re.findall(r'<a href="/beheer/programmaperiodes/\d+">([^<]+)</a>', page)
    assert names == ["2026", "2025", "2024"]
    row = re.search(r"<tr><td><a[^>]*>2025</a>.*?</tr>", page, re.S).group(0)
    assert [int(n) for n in re.findall(r'<td class="text-end">(\d+)</td>', row)] == [1, 1, 1]


def test_admin_creates_a_period_through_the_form(client, admin):
    login_as(client, admin)
    token = csrf_token(client, "/beheer/programmaperiodes/nieuw")
    response = client.post(
        "/beheer/programmaperiodes/nieuw",
        data={"name": "2027", "starts_on": "2027-01-01", "ends_on": "2027-12-31", "csrf_token": token},
        follow_redirects=True,
    )
    page = text(response)
    assert "Programmaperiode 2027 is opgeslagen." in page
    assert ">2027</a>" in page
    created = db.session.scalar(select(ProgrammePeriod).where(ProgrammePeriod.name == "2027"))
    assert (created.starts_on, created.ends_on) == (date(2027, 1, 1), date(2027, 12, 31))
    assert [e.action for e in events()] == ["create"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"name": "2026", "starts_on": "2027-01-01", "ends_on": "2027-12-31"},
            "Er bestaat al een programmaperiode met de naam &#39;2026&#39;",
        ),
        (
            {"name": "2027", "starts_on": "2027-12-31", "ends_on": "2027-01-01"},
            "De einddatum ligt vóór de begindatum: een periode eindigt op of na de dag waarop ze begint.",
        ),
        (
            {"name": "2026-2027", "starts_on": "2026-09-01", "ends_on": "2027-08-31"},
            "Deze periode overlapt met programmaperiode 2026",
        ),
        ({"name": "", "starts_on": "2027-01-01", "ends_on": "2027-12-31"}, "Vul een naam in"),
        ({"name": "2027", "starts_on": "", "ends_on": "2027-12-31"}, "Vul de begindatum in."),
        ({"name": "2027", "starts_on": "1-1-2027", "ends_on": "2027-12-31"}, "Vul een geldige datum in."),
    ],
)
def test_form_refusals_are_shown_and_store_nothing(client, admin, data, message):
    period("2026", *year(2026))
    login_as(client, admin)
    token = csrf_token(client, "/beheer/programmaperiodes/nieuw")
    response = client.post("/beheer/programmaperiodes/nieuw", data={**data, "csrf_token": token})
    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert "invalid-feedback" in page
    assert period_count() == 1 and events() == []


def test_edit_page_shows_what_refers_to_the_period(client, admin, factories):
    p2026 = period("2026", *year(2026))
    factories.AmbitionFactory(period=p2026, kind="duaal")
    factories.AmbitionFactory(period=p2026, kind="evc")
    factories.TrajectoryFactory(period=p2026, status="gestart", actual_start=date(2026, 2, 2))
    login_as(client, admin)
    page = text(client.get(f"/beheer/programmaperiodes/{p2026.id}"))
    assert "Ambities (per samenwerkingsverband en soort): 2" in page
    assert "Trajecten met deze programmaperiode: 1" in page
    assert "Trajecten in de stand (werkelijke startdatum binnen de periode): 1" in page
    assert "verandert welke trajecten in de stand van deze periode meetellen" in page
    assert "Verwijderen kan niet" in page
    assert f"/beheer/programmaperiodes/{p2026.id}/verwijderen" not in page


def test_edit_through_the_form_changes_the_dates(client, admin):
    p2026 = period("2026", *year(2026))
    login_as(client, admin)
    token = csrf_token(client, f"/beheer/programmaperiodes/{p2026.id}")
    page = text(client.get(f"/beheer/programmaperiodes/{p2026.id}"))
    assert 'value="2026-01-01"' in page and 'value="2026-12-31"' in page
    response = client.post(
        f"/beheer/programmaperiodes/{p2026.id}",
        data={
            "name": "2026",
            "starts_on": "2026-01-01",
            "ends_on": "2026-08-31",
            "version": re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1),
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    db.session.refresh(p2026)
    assert p2026.ends_on == date(2026, 8, 31)
    (event,) = events("update")
    assert event.changes == {"ends_on": ["2026-12-31", "2026-08-31"]}
    history = text(client.get(f"/logboek/programme_period/{p2026.id}"))
    assert "Beheerder Bert" in history and "2026-08-31" in history


def test_delete_asks_for_confirmation_then_deletes(client, admin):
    unused = period("2030", *year(2030))
    period_id = unused.id
    login_as(client, admin)
    edit_page = text(client.get(f"/beheer/programmaperiodes/{period_id}"))
    assert f'href="/beheer/programmaperiodes/{period_id}/verwijderen"' in edit_page
    confirm = text(client.get(f"/beheer/programmaperiodes/{period_id}/verwijderen"))
    assert "Weet u zeker dat u deze programmaperiode wilt verwijderen?" in confirm
    assert db.session.get(ProgrammePeriod, period_id) is not None  # asking deletes nothing
    token = csrf_token(client, f"/beheer/programmaperiodes/{period_id}/verwijderen")
    response = client.post(
        f"/beheer/programmaperiodes/{period_id}/verwijderen", data={"csrf_token": token}, follow_redirects=True
    )
    assert "Programmaperiode 2030 is verwijderd." in text(response)
    db.session.expire_all()
    assert db.session.get(ProgrammePeriod, period_id) is None
    assert [e.action for e in events()] == ["delete"]


def test_delete_of_a_period_in_use_is_refused_with_a_message(client, admin, factories):
    p2026 = period("2026", *year(2026))
    factories.AmbitionFactory(period=p2026)
    login_as(client, admin)
    confirm = text(client.get(f"/beheer/programmaperiodes/{p2026.id}/verwijderen"))
    assert "kan niet worden verwijderd: er verwijzen nog 1 ambitie en 0 trajecten naar" in confirm
    assert 'id="confirm-delete"' not in confirm
    token = csrf_token(client, f"/beheer/programmaperiodes/{p2026.id}")
    response = client.post(
        f"/beheer/programmaperiodes/{p2026.id}/verwijderen", data={"csrf_token": token}, follow_redirects=True
    )
    assert "kan niet worden verwijderd" in text(response)
    db.session.expire_all()
    assert db.session.get(ProgrammePeriod, p2026.id) is not None
    assert events("delete") == []


@pytest.mark.parametrize("role", ["coordinator", "accountmanager", "partner"])
def test_others_cannot_create_or_delete(client, factories, role):
    unused = period("2030", *year(2030))
    login_as(client, factories.UserFactory(role=role))
    assert client.get("/beheer/programmaperiodes").status_code == 403
    token = csrf_token(client, "/profiel")
    data = {"name": "2031", "starts_on": "2031-01-01", "ends_on": "2031-12-31", "csrf_token": token}
    assert client.post("/beheer/programmaperiodes/nieuw", data=data).status_code == 403
    assert (
        client.post(f"/beheer/programmaperiodes/{unused.id}/verwijderen", data={"csrf_token": token}).status_code == 403
    )
    assert period_count() == 1 and [e.action for e in events()] == []


# --- the way there from the ambition page -----------------------------------------------------------------


def coordinator_of(factories, partnership):
    organisation = factories.OrganisationFactory()
    partnership.members.append(organisation)
    return factories.UserFactory(role="coordinator", organisation=organisation)


def test_coordinator_without_periods_is_told_to_ask_an_admin(client, factories):
    partnership = factories.PartnershipFactory()
    login_as(client, coordinator_of(factories, partnership))
    for path in ("/pijplijn/ambities/invullen", "/pijplijn/ambities"):
        page = text(client.get(path))
        assert "Er zijn nog geen programmaperiodes vastgelegd." in page
        assert "Vraag een beheerder de periode aan te maken" in page
        assert "/beheer/programmaperiodes" not in page


def test_coordinator_with_periods_sees_where_a_missing_one_comes_from(client, factories):
    partnership = factories.PartnershipFactory()
    period("2026", *year(2026))
    login_as(client, coordinator_of(factories, partnership))
    page = text(client.get("/pijplijn/ambities/invullen"))
    missing = re.search(r'<p[^>]*id="missing-period">(.*?)</p>', page, re.S).group(1)
    assert "Staat de periode er niet bij?" in missing
    assert "Vraag een beheerder de periode aan te maken" in missing
    assert "/beheer/" not in page


def test_admin_is_linked_to_the_period_pages_from_the_ambition_pages(client, admin, factories):
    factories.PartnershipFactory()
    login_as(client, admin)
    page = text(client.get("/pijplijn/ambities/invullen"))
    assert 'href="/beheer/programmaperiodes/nieuw"' in page
    assert "Vraag een beheerder" not in page
    assert 'href="/beheer/programmaperiodes/nieuw"' in text(client.get("/pijplijn/ambities"))
    period("2026", *year(2026))
    db.session.commit()
    page = text(client.get("/pijplijn/ambities/invullen"))
    assert "Staat de periode er niet bij?" in page and 'href="/beheer/programmaperiodes/nieuw"' in page
    assert 'href="/beheer/programmaperiodes"' in text(client.get("/pijplijn/ambities"))


def test_a_stale_edit_is_refused_and_overwrites_nothing(client, admin):
    p2026 = period("2026", *year(2026))
    login_as(client, admin)
    token = csrf_token(client, f"/beheer/programmaperiodes/{p2026.id}")
    opened = p2026.version
    # Another admin shortens the period in between.
    programme_periods.save_period(
        admin, p2026, name="2026", starts_on=date(2026, 1, 1), ends_on=date(2026, 6, 30), version=p2026.version
    )
    db.session.commit()
    data = {"name": "2026-2027", "starts_on": "2026-01-01", "ends_on": "2026-12-31", "csrf_token": token}
    for version in (str(opened), None):  # the version the form was opened on, or none at all
        posted = {**data, "version": version} if version else data
        page = text(client.post(f"/beheer/programmaperiodes/{p2026.id}", data=posted))
        assert "Iemand anders heeft deze programmaperiode intussen gewijzigd" in page
        # who changed what and when; the field both changed is marked with what is stored now
        assert "Beheerder Bert" in page and re.search(r"Einddatum: 2026-12-31 (&rarr;|→) 2026-06-30", page)
        assert 'data-conflict="ends_on"' in page
        db.session.refresh(p2026)
        assert (p2026.name, p2026.ends_on) == ("2026", date(2026, 6, 30))
    with pytest.raises(StaleRecord):
        programme_periods.save_period(
            admin, p2026, name="2027", starts_on=date(2027, 1, 1), ends_on=date(2027, 12, 31), version=opened
        )
