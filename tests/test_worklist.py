"""Mijn werkvoorraad: follow-ups by due date, my employers (neglected first), partner contacts."""

import re
from datetime import timedelta

import pytest

from crm.extensions import db
from crm.lib.clock import today
from crm.models.base import utcnow
from crm.services.search import rebuild_search_text
from tests.conftest import counted_queries as count_queries
from tests.conftest import login_as

HTMX = {"HX-Request": "true"}


@pytest.fixture
def me(factories):
    return factories.UserFactory(name="Marieke Visser", role="accountmanager")


def section(html: str, marker: str) -> str:
    """The HTML of the element that starts with ``marker`` up to the next section of the page."""
    start = html.index(marker)
    return html[start : start + 20000]


def group_html(html: str, key: str) -> str:
    match = re.search(rf'<ul class="list-group" data-group="{key}">(.*?)</ul>', html, re.S)
    return match.group(1) if match else ""


def employer_block(html: str, employer) -> str:
    match = re.search(rf'<tbody id="employer-{employer.id}"(.*?)</tbody>', html, re.S)
    assert match, f"employer {employer.name} not on the page"
    return match.group(0)


def test_follow_ups_grouped_by_due_date(client, factories, me):
    employer = factories.EmployerFactory(contactpersoon=me)
    on = today()
    end_of_week = on + timedelta(days=6 - on.weekday())
    factories.FollowUpFactory(owner=me, employer=employer, subject="Te laat: offerte", due_date=on - timedelta(days=3))
    factories.FollowUpFactory(owner=me, employer=employer, subject="Vandaag: intake", due_date=on)
    factories.FollowUpFactory(owner=me, employer=employer, subject="Later: evaluatie", due_date=on + timedelta(days=30))
    if end_of_week > on:
        factories.FollowUpFactory(owner=me, employer=employer, subject="Deze week: terugbellen", due_date=end_of_week)
    factories.FollowUpFactory(owner=me, employer=employer, subject="Al gedaan", status="afgerond", done_at=utcnow())
    factories.FollowUpFactory(employer=employer, subject="Van een ander")
    login_as(client, me)
    html = client.get("/").get_data(as_text=True)
    assert "Te laat: offerte" in group_html(html, "overdue")
    assert "Vandaag: intake" in group_html(html, "today")
    assert "Later: evaluatie" in group_html(html, "later")
    if end_of_week > on:
        assert "Deze week: terugbellen" in group_html(html, "this_week")
    assert "Al gedaan" not in html and "Van een ander" not in html
    # each follow-up offers "afronden" and "verzetten", working with and without htmx
    block = group_html(html, "overdue")
    assert "Afronden" in block and "Verzetten" in block and "+1 dag" in block and "+1 week" in block
    assert 'method="post" action="/opvolgacties/' in block and 'hx-post="/opvolgacties/' in block


def test_no_follow_ups_shows_empty_state(client, me):
    login_as(client, me)
    html = client.get("/").get_data(as_text=True)
    assert "U heeft geen open opvolgacties." in html
    assert "U bent nog voor geen enkele werkgever contactpersoon." in html
    assert "Geen contacten van partners in de afgelopen twee weken." in html


def test_employers_without_contact_for_90_days_are_highlighted_and_first(client, factories, me):
    now = utcnow()
    recent = factories.EmployerFactory(
        name="Aannemer Recent", contactpersoon=me, last_contact_at=now - timedelta(days=10)
    )
    old = factories.EmployerFactory(
        name="Bakkerij Vergeten", contactpersoon=me, last_contact_at=now - timedelta(days=100)
    )
    never = factories.EmployerFactory(name="Camping Nooit", contactpersoon=me, last_contact_at=None)
    edge = factories.EmployerFactory(name="Drukkerij Net", contactpersoon=me, last_contact_at=now - timedelta(days=89))
    factories.EmployerFactory(name="Elders B.V.")  # someone else's
    login_as(client, me)
    html = client.get("/").get_data(as_text=True)
    for neglected in (old, never):
        block = employer_block(html, neglected)
        assert "neglected" in block and "table-warning" in block and "90+ dagen" in block
    for fine in (recent, edge):
        block = employer_block(html, fine)
        assert "neglected" not in block and "90+ dagen" not in block
    assert "nooit" in employer_block(html, never)
    order = [html.index(f'id="employer-{e.id}"') for e in (never, old, edge, recent)]
    assert order == sorted(order)
    assert "Elders B.V." not in html


def test_employers_can_be_sorted_by_name_and_are_paginated(client, factories, me, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    now = utcnow()
    names = ["Delta Techniek", "Alfa Zorg", "Charlie Bouw"]
    for days, name in zip((5, 200, 50), names, strict=True):
        factories.EmployerFactory(name=name, contactpersoon=me, last_contact_at=now - timedelta(days=days))
    keep = factories.EmployerFactory(name="Elders BV")  # someone else's
    for n in range(2):  # merged away: neither listed nor counted
        factories.EmployerFactory(name=f"Dubbel {n}", contactpersoon=me, merged_into_id=keep.id)
    login_as(client, me)
    first = client.get("/").get_data(as_text=True)
    assert "Alfa Zorg" in first and "Charlie Bouw" in first and "Delta Techniek" not in first
    assert "Pagina 1 van 2" in first
    assert "Delta Techniek" in client.get("/?pagina=2").get_data(as_text=True)
    by_name = client.get("/?sorteer=naam").get_data(as_text=True)
    assert by_name.index("Alfa Zorg") < by_name.index("Charlie Bouw") and "Delta Techniek" not in by_name
    # an unknown sort falls back to the default
    assert client.get("/?sorteer=; drop table employer").status_code == 200


def test_employer_row_has_quick_log_that_works_without_javascript(client, factories, me):
    employer = factories.EmployerFactory(name="Kaasmakerij Tubbergen", contactpersoon=me)
    login_as(client, me)
    block = employer_block(client.get("/").get_data(as_text=True), employer)
    assert f'href="/werkgevers/{employer.id}/snel-contact"' in block
    assert f'hx-get="/werkgevers/{employer.id}/snel-contact"' in block
    assert ">Gebeld</a>" in block


def test_employer_row_partial_for_htmx_only(client, factories, me):
    employer = factories.EmployerFactory(name="Kaasmakerij Tubbergen", contactpersoon=me)
    login_as(client, me)
    html = client.get(f"/werkvoorraad/werkgevers/{employer.id}", headers=HTMX).get_data(as_text=True)
    assert html.lstrip().startswith(f'<tbody id="employer-{employer.id}"') and "<html" not in html
    plain = client.get(f"/werkvoorraad/werkgevers/{employer.id}")
    assert plain.status_code == 302 and plain.headers["Location"] == "/"
    assert client.get("/werkvoorraad/werkgevers/999999", headers=HTMX).status_code == 404


def test_recent_partner_contacts_on_my_employers(client, factories, me):
    mine = factories.EmployerFactory(name="Kaasmakerij Tubbergen", contactpersoon=me)
    elsewhere = factories.EmployerFactory(name="Zorggroep Elders")
    roc = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    jeroen = factories.UserFactory(name="Jeroen Bakker", organisation=roc)
    factories.ContactFactory(employer=mine, author=jeroen, summary="Open dag besproken", channel="bijeenkomst")
    factories.ContactFactory(employer=mine, author=jeroen, summary="Intern ROC-overleg", visibility="intern")
    factories.ContactFactory(
        employer=mine, author=jeroen, summary="Oud nieuws", occurred_at=utcnow() - timedelta(days=30)
    )
    factories.ContactFactory(employer=mine, author=me, summary="Mijn eigen gesprek")
    factories.ContactFactory(employer=elsewhere, author=jeroen, summary="Andere werkgever")
    login_as(client, me)
    html = client.get("/").get_data(as_text=True)
    partners = section(html, 'id="partner-title"')
    assert "Open dag besproken" in partners
    assert "Jeroen Bakker (ROC van Twente)" in partners and "Bijeenkomst" in partners
    for hidden in ("Intern ROC-overleg", "Oud nieuws", "Mijn eigen gesprek", "Andere werkgever"):
        assert hidden not in partners


def fill_worklist(factories, me, n: int) -> None:
    partner = factories.UserFactory()
    for i in range(n):
        employer = factories.EmployerFactory(contactpersoon=me, last_contact_at=utcnow() - timedelta(days=i * 40))
        factories.FollowUpFactory(owner=me, employer=employer, due_date=today() + timedelta(days=i * 3 - 4))
        vacancy = factories.VacancyFactory(employer=employer)
        factories.FollowUpFactory(owner=me, employer=None, vacancy=vacancy, subject="Vacature opvolgen")
        factories.ContactFactory(employer=employer, author=partner)


def fresh_session() -> None:
    """As at the start of a real request: nothing loaded yet (tests share one session)."""
    db.session.commit()
    db.session.expunge_all()


def test_worklist_runs_a_constant_number_of_queries(client, factories, me):
    fill_worklist(factories, me, 1)
    login_as(client, me)
    fresh_session()
    with count_queries() as few:
        assert client.get("/").status_code == 200
    fill_worklist(factories, db.session.merge(me), 6)
    fresh_session()
    with count_queries() as many:
        html = client.get("/").get_data(as_text=True)
    # 14 open follow-ups: each group shows its first SHOWN_PER_GROUP and counts them all
    shown = html.count('class="list-group-item followup"')
    assert 0 < shown < 14 and "meer (nog " in html
    counts = re.findall(r'<summary><h3 class="h6[^"]*">[^<]*<span class="badge text-bg-secondary">(\d+)</span>', html)
    assert sum(map(int, counts)) == 14
    assert len(many) == len(few), "\n".join(many)
    # the unread badge is one COUNT on notification
    assert sum("notification" in statement for statement in many) == 1


def test_worklist_needs_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_overdue_vacancies_show_on_the_contactpersoons_worklist(client, factories):
    me = factories.UserFactory()
    mine = factories.EmployerFactory(contactpersoon=me, name="Metaalwerk Borne")
    factories.VacancyFactory(
        employer=mine, title="Lasser BBL", closing_date=today() - timedelta(days=3), status="nieuw"
    )
    factories.VacancyFactory(
        employer=mine, title="Monteur vervuld", closing_date=today() - timedelta(days=3), status="vervuld"
    )
    factories.VacancyFactory(
        employer=mine, title="Nog open tot volgende week", closing_date=today() + timedelta(days=7)
    )
    factories.VacancyFactory(title="Lasser elders", closing_date=today() - timedelta(days=3))
    login_as(client, me)
    html = client.get("/").get_data(as_text=True)
    assert "Vacatures voorbij de sluitingsdatum" in html and "Lasser BBL" in html
    assert "Monteur vervuld" not in html and "Nog open tot volgende week" not in html and "Lasser elders" not in html


def test_worklist_and_calendar_leave_out_follow_ups_on_trajectories_the_owner_may_not_see(client, factories):
    """A follow-up is as private as its trajectory, also for its owner once the owner's
    organisation is no longer involved; the employer's follow-ups stay."""
    owner = factories.UserFactory(ical_token="icaltoken-worklist-test-0123456789abcdef")
    seen = factories.TrajectoryFactory()
    factories.TrajectoryOrganisationFactory(trajectory=seen, organisation=owner.organisation)
    unseen = factories.TrajectoryFactory()
    factories.FollowUpFactory(owner=owner, employer=None, trajectory=seen, subject="Intake Sanne bespreken")
    factories.FollowUpFactory(owner=owner, employer=None, trajectory=unseen, subject="Intake Fenna bespreken")
    factories.FollowUpFactory(owner=owner, subject="Werkgever terugbellen")
    db.session.commit()
    login_as(client, owner)
    for path in ("/", "/agenda/icaltoken-worklist-test-0123456789abcdef.ics"):
        text = client.get(path).get_data(as_text=True)
        assert "Intake Sanne bespreken" in text and "Werkgever terugbellen" in text, path
        assert "Intake Fenna bespreken" not in text, path


def test_one_setting_moves_the_quiet_rule_everywhere(app, client, factories, me, monkeypatch):
    """CRM_QUIET_EMPLOYER_DAYS moves the worklist's mark and its text, the employer list's mark,
    the pipeline's count, its drill-down and their texts, and the nightly automatic follow-up
    together (crm.services.quiet_employers)."""
    from crm.services import quiet_employers

    monkeypatch.setitem(app.config, "QUIET_EMPLOYER_DAYS", 30)
    now = utcnow()
    quiet = factories.EmployerFactory(name="Bakkerij Stil", contactpersoon=me, last_contact_at=now - timedelta(days=40))
    busy = factories.EmployerFactory(name="Aannemer Druk", contactpersoon=me, last_contact_at=now - timedelta(days=20))
    db.session.commit()
    login_as(client, me)
    html = client.get("/").get_data(as_text=True)
    assert "30+ dagen" in employer_block(html, quiet) and "neglected" in employer_block(html, quiet)
    assert "neglected" not in employer_block(html, busy)
    assert "90" not in section(html, "Gemarkeerd:")[:60]
    listing = client.get("/werkgevers").get_data(as_text=True)
    assert listing.count("(langer dan 30 dagen geleden)") == 1
    coordinator = factories.UserFactory(role="admin")
    db.session.commit()
    login_as(client, coordinator)
    pipeline = client.get("/pijplijn").get_data(as_text=True)
    assert "Geen contact 30+ dagen" in pipeline and "90" not in pipeline.split("Geen contact", 1)[1][:20]
    drill = client.get("/pijplijn/lijst?lijst=werkgevers&maat=geen_contact").get_data(as_text=True)
    assert "geen contact in 30+ dagen" in drill and "Bakkerij Stil" in drill and "Aannemer Druk" not in drill
    made = quiet_employers.create_quiet_employer_follow_ups(now)
    assert [f.employer_id for f in made] == [quiet.id]
    assert made[0].subject.startswith("Al 30 dagen geen contact")


# --- bounded at any size, made for the phone (issue 18, section 3) ---


def bulk_worklist(me, employers: int, follow_ups: int) -> None:
    """A large worklist in a few statements: ``employers`` of mine, ``follow_ups`` open ones spread
    over the due groups (a third overdue, a tenth today, the rest later)."""
    from sqlalchemy import insert, select

    from crm.models import Employer, FollowUp

    start = db.session.scalar(select(db.func.count(Employer.id))) or 0
    db.session.execute(
        insert(Employer),
        [
            {
                "name": f"Werkgever {start + i:05d} B.V.",
                "status": "actief",
                "contactpersoon_id": me.id,
                "last_contact_at": utcnow() - timedelta(days=i % 400),
            }
            for i in range(employers)
        ],
    )
    ids = list(db.session.scalars(select(Employer.id).where(Employer.contactpersoon_id == me.id)))
    on = today()
    db.session.execute(
        insert(FollowUp),
        [
            {
                "owner_id": me.id,
                "employer_id": ids[i % len(ids)],
                "subject": f"Terugbellen over de intake van leerling {i} en de BBL-plek bij de werkplaats",
                "due_date": on - timedelta(days=1 + i % 60)
                if i % 3 == 0
                else on
                if i % 10 == 1
                else on + timedelta(days=i % 90 + 8),
            }
            for i in range(follow_ups)
        ],
    )
    db.session.flush()


def test_large_worklist_stays_small_and_runs_the_same_queries(client, me):
    bulk_worklist(me, employers=30, follow_ups=12)
    login_as(client, me)
    fresh_session()
    with count_queries() as few:
        small = client.get("/").get_data(as_text=True)
    bulk_worklist(db.session.merge(me), employers=2000, follow_ups=1500)
    fresh_session()
    with count_queries() as many:
        html = client.get("/").get_data(as_text=True)
    assert len(many) == len(few), "\n".join(many)
    size = len(html.encode())
    assert size < 100_000, f"the worklist is {size} bytes"
    assert len(small.encode()) < 100_000
    # every group folds, shows its full count and links to the rest
    for key in ("today", "overdue", "later"):
        assert f'data-group-section="{key}"' in html
        assert f'href="/?groep={key}"' in html
    assert re.search(r'<details class="fu-group" data-group-section="overdue" open>', html)
    # 1,512 open follow-ups: 504 overdue, 102 today (see bulk_worklist)
    assert 'Te laat <span class="badge text-bg-secondary">504</span>' in html
    assert 'Vandaag <span class="badge text-bg-secondary">102</span>' in html
    assert "meer (nog 499)" in html
    # my employers: counted, one page of them
    assert '<span class="badge text-bg-secondary">2030</span>' in html
    assert html.count('class="employer-row') == 25


def test_more_shows_the_whole_group_paged(client, me):
    bulk_worklist(me, employers=3, follow_ups=90)  # 30 overdue
    login_as(client, me)
    fresh_session()
    first = client.get("/?groep=overdue").get_data(as_text=True)
    assert "Mijn opvolgacties: Te laat" in first
    assert first.count('class="list-group-item followup"') == 20
    assert "Pagina 1 van 2" in first
    second = client.get("/?groep=overdue&pagina=2").get_data(as_text=True)
    assert second.count('class="list-group-item followup"') == 10
    # the actions post without htmx and come back to this page
    assert 'name="next" value="/?groep=overdue&amp;pagina=2"' in second
    assert "hx-post" not in second


def test_search_box_finds_my_employers_to_log_a_call(client, factories, me):
    mine = factories.EmployerFactory(name="Dakdekkersbedrijf Kamphuis B.V.", city="Rijssen", contactpersoon=me)
    factories.EmployerFactory(name="Dakdekkers Oosterhof", contactpersoon=factories.UserFactory())
    factories.EmployerFactory(name="Bakkerij Nijhof", contactpersoon=me)
    rebuild_search_text()
    login_as(client, me)
    html = client.get("/").get_data(as_text=True)
    assert 'role="search"' in html and 'name="zoek"' in html
    html = client.get("/?zoek=kamphuis").get_data(as_text=True)
    found = html[html.index('id="find-results"') : html.index('id="my-follow-ups"')]
    assert "Dakdekkersbedrijf Kamphuis B.V." in found
    assert f'href="/werkgevers/{mine.id}/snel-contact"' in found
    assert "Oosterhof" not in found and "Nijhof" not in found
    # the rows are not on the page twice
    assert html.count(f'id="employer-{mine.id}"') == 1
    nothing = client.get("/?zoek=zwembad").get_data(as_text=True)
    assert "Geen van uw werkgevers past bij" in nothing and "zwembad" in nothing


def test_inactive_employers_are_neither_flagged_nor_listed_first(client, factories, me):
    old = utcnow() - timedelta(days=400)
    factories.EmployerFactory(name="Aannemer Gestopt", contactpersoon=me, status="inactief", last_contact_at=None)
    factories.EmployerFactory(name="Bouwbedrijf Slapend", contactpersoon=me, status="inactief", last_contact_at=old)
    quiet = factories.EmployerFactory(name="Zuivel Stil", contactpersoon=me, last_contact_at=old)
    factories.EmployerFactory(name="Metaal Recent", contactpersoon=me, last_contact_at=utcnow() - timedelta(days=5))
    login_as(client, me)
    html = client.get("/").get_data(as_text=True)
    names = re.findall(r'id="employer-name-\d+" href="[^"]+">([^<]+)</a>', html)
    assert names == ["Zuivel Stil", "Metaal Recent", "Aannemer Gestopt", "Bouwbedrijf Slapend"]
    flagged = re.findall(r'<tbody id="employer-(\d+)" class="employer neglected"', html)
    assert flagged == [str(quiet.id)]


def test_quiet_rule_leaves_inactive_employers_out(app, factories):
    from sqlalchemy import select

    from crm.models import Employer
    from crm.services import quiet_employers

    inactive = factories.EmployerFactory(status="inactief", last_contact_at=None)
    active = factories.EmployerFactory(status="actief", last_contact_at=None)
    assert not quiet_employers.is_quiet(inactive) and quiet_employers.is_quiet(active)
    ids = set(db.session.scalars(select(Employer.id).where(quiet_employers.quiet_clause())))
    assert active.id in ids and inactive.id not in ids
