"""One employer's timeline: order, pagination, visibility, and a query count that does not grow."""

import html
import re
from datetime import timedelta

import pytest

from crm.extensions import db
from crm.models.base import utcnow
from crm.services.timeline import employer_timeline
from tests.conftest import counted_queries, login_as


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def uwv(factories):
    return factories.OrganisationFactory(name="UWV Werkbedrijf Twente", kind="uwv")


@pytest.fixture
def me(factories, uwv):
    return factories.UserFactory(name="Marieke Visser", organisation=uwv)


def ago(**kwargs):
    return utcnow() - timedelta(**kwargs)


def test_newest_first_over_all_four_kinds(session, factories, me, uwv):
    employer = factories.EmployerFactory(contactpersoon=me)
    old_contact = factories.ContactFactory(employer=employer, author=me, occurred_at=ago(days=10), summary="Oud")
    vacancy = factories.VacancyFactory(employer=employer, created_at=ago(days=7))
    follow_up = factories.FollowUpFactory(employer=employer, owner=me, created_at=ago(days=3))
    trajectory = factories.TrajectoryFactory(employer=employer, created_at=ago(days=2))
    factories.TrajectoryOrganisationFactory(trajectory=trajectory, organisation=uwv, role="uwv")
    new_contact = factories.ContactFactory(employer=employer, author=me, occurred_at=ago(hours=1), summary="Nieuw")
    factories.ContactFactory(summary="Bij een andere werkgever")

    page = employer_timeline(me, employer.id)
    assert [(i.kind, i.record) for i in page.items] == [
        ("contact", new_contact),
        ("trajectory", trajectory),
        ("follow_up", follow_up),
        ("vacancy", vacancy),
        ("contact", old_contact),
    ]
    assert page.total == 5 and page.pages == 1 and not page.has_next
    assert page.items[1].participant == trajectory.participant


def test_pagination_twenty_per_page(client, factories, me):
    employer = factories.EmployerFactory(contactpersoon=me)
    for n in range(25):
        factories.ContactFactory(
            employer=employer, author=me, occurred_at=ago(hours=n), summary=f"Gesprek nummer {n:02d}"
        )
    first = employer_timeline(me, employer.id, page=1)
    second = employer_timeline(me, employer.id, page=2)
    assert len(first.items) == 20 and len(second.items) == 5
    assert (
        first.items[0].record.summary == "Gesprek nummer 00" and second.items[-1].record.summary == "Gesprek nummer 24"
    )
    assert first.has_next and second.has_prev and not second.has_next and second.prev_num == 1

    login_as(client, me)
    page = text(client.get(f"/werkgevers/{employer.id}"))
    assert "Gesprek nummer 19" in page and "Gesprek nummer 20" not in page
    assert "Pagina 1 van 2" in page and f"/werkgevers/{employer.id}?pagina=2" in page
    page = text(client.get(f"/werkgevers/{employer.id}?pagina=2"))
    assert "Gesprek nummer 20" in page and "Gesprek nummer 24" in page and "Gesprek nummer 19" not in page
    page = text(client.get(f"/werkgevers/{employer.id}?pagina=99"))  # past the end: the last page
    assert "Gesprek nummer 24" in page and "Gesprek nummer 19" not in page and "Pagina 2 van 2" in page


def test_contact_shows_who_what_and_outcome(client, factories, me):
    employer = factories.EmployerFactory(contactpersoon=me)
    person = factories.EmployerPersonFactory(employer=employer, name="Petra de Vries")
    vacancy = factories.VacancyFactory(employer=employer, title="Leerling-kok (BBL)")
    factories.ContactFactory(
        employer=employer,
        author=me,
        channel="bezoek",
        employer_contact=person,
        vacancy=vacancy,
        summary="Rondleiding in de keuken",
        outcome="Twee BBL-plekken per september",
        visibility="intern",
    )
    factories.FollowUpFactory(employer=employer, owner=me, subject="Contract nabellen", due_date=ago(days=3).date())
    login_as(client, me)
    page = text(client.get(f"/werkgevers/{employer.id}"))
    contact = re.search(r'data-kind="contact">(.*?)</li>', page, re.S).group(1)
    for shown in (
        "Bezoek",
        "Marieke Visser (UWV Werkbedrijf Twente)",
        "gesproken met Petra de Vries",
        "Rondleiding in de keuken",
        "Twee BBL-plekken per september",
        ">intern<",
        "Leerling-kok (BBL)",
    ):
        assert shown in contact
    follow_up = re.search(r'data-kind="follow_up">(.*?)</li>', page, re.S).group(1)
    assert "Contract nabellen" in follow_up and "Marieke Visser" in follow_up and "te laat" in follow_up
    vacancy_item = re.search(r'data-kind="vacancy">(.*?)</li>', page, re.S).group(1)
    assert "Leerling-kok (BBL)" in vacancy_item and "2 plekken" in vacancy_item and "MBO2" in vacancy_item


def test_internal_contact_of_another_organisation_is_not_shown(client, factories, me):
    employer = factories.EmployerFactory(contactpersoon=me)
    roc = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    teacher = factories.UserFactory(organisation=roc, role="partner")
    colleague = factories.UserFactory(organisation=me.organisation)
    factories.ContactFactory(
        employer=employer, author=teacher, visibility="intern", summary="Vertrouwelijk ROC-verhaal"
    )
    factories.ContactFactory(employer=employer, author=teacher, visibility="gedeeld", summary="Gedeeld ROC-verhaal")
    factories.ContactFactory(employer=employer, author=colleague, visibility="intern", summary="Intern UWV-verhaal")

    summaries = {i.record.summary for i in employer_timeline(me, employer.id).items}
    assert summaries == {"Gedeeld ROC-verhaal", "Intern UWV-verhaal"}
    assert {i.record.summary for i in employer_timeline(teacher, employer.id).items} == {
        "Vertrouwelijk ROC-verhaal",
        "Gedeeld ROC-verhaal",
    }
    login_as(client, me)
    page = text(client.get(f"/werkgevers/{employer.id}"))
    assert "Vertrouwelijk ROC-verhaal" not in page and "Gedeeld ROC-verhaal" in page and "Intern UWV-verhaal" in page


def test_trajectories_only_for_involved_organisations_and_coordinators(client, factories, me):
    employer = factories.EmployerFactory(contactpersoon=me)
    roc = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    partnership = factories.PartnershipFactory(name="Leerwerkakkoord Twente")
    ours = factories.TrajectoryFactory(
        employer=employer,
        partnership=partnership,
        qualification_name="Kok",
        participant=factories.ParticipantFactory(first_name="Fatima", last_name="El Amrani"),
    )
    factories.TrajectoryOrganisationFactory(trajectory=ours, organisation=me.organisation, role="uwv")
    theirs = factories.TrajectoryFactory(
        employer=employer,
        kind="evc",
        qualification_name="Zorghulp",
        participant=factories.ParticipantFactory(first_name="Geheime", last_name="Deelnemer"),
    )
    factories.TrajectoryOrganisationFactory(trajectory=theirs, organisation=roc, role="school")

    assert [i.record for i in employer_timeline(me, employer.id).items] == [ours]
    login_as(client, me)
    page = text(client.get(f"/werkgevers/{employer.id}"))
    assert "Fatima El Amrani" in page and "Kok" in page
    assert "Zorghulp" not in page and "Geheime Deelnemer" not in page

    # A coordinator from an organisation in the partnership sees it, without being involved.
    coordinator = factories.UserFactory(role="coordinator", organisation=factories.OrganisationFactory())
    partnership.members.append(coordinator.organisation)
    db.session.flush()
    assert [i.record for i in employer_timeline(coordinator, employer.id).items] == [ours]
    # Someone uninvolved sees neither.
    outsider = factories.UserFactory(role="accountmanager")
    assert employer_timeline(outsider, employer.id).items == []


def test_participant_name_is_hidden_when_the_participant_is_not_visible(session, factories, me, monkeypatch):
    """Trajectory visible, participant not (a stricter rule than today's): kind and status stay, the name goes."""
    from sqlalchemy import false

    from crm import permissions

    employer = factories.EmployerFactory(contactpersoon=me)
    trajectory = factories.TrajectoryFactory(employer=employer, status="intake")
    factories.TrajectoryOrganisationFactory(trajectory=trajectory, organisation=me.organisation, role="uwv")
    monkeypatch.setattr(permissions, "visible_participants_clause", lambda user: false())
    item = employer_timeline(me, employer.id).items[0]
    assert item.record == trajectory and item.participant is None


def build_employer(factories, me, contacts: int):
    """An employer whose contacts each have their own author, organisation and person spoken to."""
    employer = factories.EmployerFactory(contactpersoon=me)
    for n in range(contacts):
        person = factories.EmployerPersonFactory(employer=employer, is_primary=(n == 0))
        factories.ContactFactory(employer=employer, employer_contact=person, occurred_at=ago(hours=n))
    factories.FollowUpFactory(employer=employer)
    factories.VacancyFactory(employer=employer)
    trajectory = factories.TrajectoryFactory(employer=employer)
    factories.TrajectoryOrganisationFactory(trajectory=trajectory, organisation=me.organisation, role="uwv")
    return employer


LAYOUT = re.compile(
    r'FROM "?user"?\s+(?:LEFT OUTER JOIN organisation AS \w+ ON \S+ = "?user"?\.organisation_id\s+)?WHERE "?user"?\.id = |FROM organisation\s+WHERE organisation\.id = '
    r"|FROM notification\s+WHERE notification\.user_id = |^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)"
)


SAVEPOINTS = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)")


def detail_queries(client, employer_id: int, *, layout: bool = False) -> list[str]:
    """The statements of the employer page itself: not the test's SAVEPOINTs, nor (unless
    ``layout``) what every page of the layout runs (the signed-in user with their organisation
    and unread notifications)."""
    db.session.commit()
    db.session.expunge_all()  # as a fresh request would: nothing cached in the session
    with counted_queries() as statements:
        response = client.get(f"/werkgevers/{employer_id}")
    assert response.status_code == 200
    return [s for s in statements if not (SAVEPOINTS if layout else LAYOUT).search(s)]


def test_detail_query_count_does_not_grow_with_the_data(client, factories, me):
    small, large = build_employer(factories, me, 3).id, build_employer(factories, me, 60).id
    employer = factories.EmployerFactory(contactpersoon=me)
    for n in range(30):
        factories.ContactFactory(employer=employer, occurred_at=ago(hours=n), visibility="gedeeld")
    only_contacts = employer.id
    login_as(client, me)
    # employer with its people (joined); the page of the timeline with its total; follow-ups,
    # vacancies, trajectories and contacts on it (one each); participants' visibility; contact
    # pressure with its people; the contactpersoon history; the organisations the timeline
    # can be filtered on
    assert len(detail_queries(client, small)) == len(detail_queries(client, large)) == 10
    # a page of only contacts: employer, page, contacts, pressure, history, organisations
    queries = detail_queries(client, only_contacts)
    assert len(queries) == 6, "\n\n".join(queries)
    # and the signed-in user with their organisation and unread count: 7 for the whole page
    queries = detail_queries(client, only_contacts, layout=True)
    assert len(queries) == 7, "\n\n".join(queries)


# --- filtering by kind and organisation -----------------------------------------------------


@pytest.fixture
def mixed_timeline(factories, me, uwv):
    """At one employer: UWV's and the gemeente's contacts, follow-ups, a vacancy and a
    trajectory each involving one of them."""
    gemeente = factories.OrganisationFactory(name="Gemeente Hengelo", kind="gemeente")
    jan = factories.UserFactory(name="Jan Gemeente", organisation=gemeente)
    employer = factories.EmployerFactory(contactpersoon=me)
    factories.ContactFactory(employer=employer, author=me, summary="UWV belde", occurred_at=ago(hours=1))
    factories.ContactFactory(employer=employer, author=jan, summary="Gemeente bezocht", occurred_at=ago(hours=2))
    factories.FollowUpFactory(employer=employer, owner=me, subject="UWV belt terug", created_at=ago(hours=3))
    factories.FollowUpFactory(employer=employer, owner=jan, subject="Gemeente stuurt offerte", created_at=ago(hours=4))
    uwv_vacancy = factories.VacancyFactory(employer=employer, title="Lasser BBL", created_at=ago(hours=5))
    uwv_vacancy.organisations = [uwv]
    factories.VacancyFactory(employer=employer, title="Monteur", created_at=ago(hours=6))
    trajectory = factories.TrajectoryFactory(employer=employer, created_at=ago(hours=7))
    factories.TrajectoryOrganisationFactory(trajectory=trajectory, organisation=gemeente, role="gemeente")
    factories.TrajectoryOrganisationFactory(trajectory=trajectory, organisation=uwv, role="uwv")  # so I see it
    db.session.flush()
    return employer, gemeente


def test_timeline_filtered_by_kind(client, me, mixed_timeline):
    employer, _gemeente = mixed_timeline
    login_as(client, me)
    page = text(client.get(f"/werkgevers/{employer.id}?soort=contact"))
    assert "UWV belde" in page and "Gemeente bezocht" in page
    assert "UWV belt terug" not in page and "Lasser BBL" not in page
    assert '<option value="contact" selected>' in page
    assert len(re.findall(r'data-kind="contact"', page)) == 2 and 'data-kind="vacancy"' not in page


def test_timeline_filtered_by_organisation(client, me, uwv, mixed_timeline):
    employer, gemeente = mixed_timeline
    login_as(client, me)
    page = text(client.get(f"/werkgevers/{employer.id}?organisatie={gemeente.id}"))
    kinds = re.findall(r'data-kind="(\w+)"', page)
    assert kinds == ["contact", "follow_up", "trajectory"]  # the trajectory involves both
    assert "Gemeente bezocht" in page and "Gemeente stuurt offerte" in page
    assert "UWV belde" not in page and "Lasser BBL" not in page and "Monteur" not in page
    page = text(client.get(f"/werkgevers/{employer.id}?organisatie={uwv.id}&soort=vacancy"))
    assert re.findall(r'data-kind="(\w+)"', page) == ["vacancy"] and "Lasser BBL" in page


def test_timeline_filter_with_nothing_found_says_so(client, me, mixed_timeline, factories):
    employer, _gemeente = mixed_timeline
    elsewhere = factories.OrganisationFactory(name="ROC van Twente", kind="roc")
    login_as(client, me)
    page = text(client.get(f"/werkgevers/{employer.id}?organisatie={elsewhere.id}"))
    assert "Niets op de tijdlijn voor deze filters." in page
    assert text(client.get(f"/werkgevers/{employer.id}?soort=onzin")).count('data-kind="') == 7
