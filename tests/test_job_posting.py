"""A vacancy as a schema.org JobPosting (crm.services.job_posting), checked against the rules
Google publishes for job-posting structured data, written out here: the required properties,
their types and formats, and the allowed values of employmentType and credentialCategory. And
a vacancy the employer did not agree to publish, or that is closed, is not published at all.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.lib.clock import today
from crm.models import Vacancy
from crm.services import job_posting
from crm.services.job_posting import NotPublished
from tests.conftest import csrf_token, login_as
from tests.factories import municipality
from tests.test_vacancies import intake

# Google: "employmentType" values, and "credentialCategory" values of educationRequirements.
GOOGLE_EMPLOYMENT_TYPES = {
    "FULL_TIME",
    "PART_TIME",
    "CONTRACTOR",
    "TEMPORARY",
    "INTERN",
    "VOLUNTEER",
    "PER_DIEM",
    "OTHER",
}
GOOGLE_CREDENTIAL_CATEGORIES = {
    "high school",
    "associate degree",
    "bachelor degree",
    "professional certificate",
    "postgraduate degree",
}
REQUIRED = ("title", "description", "datePosted", "hiringOrganization", "jobLocation")
NL_POSTCODE = re.compile(r"[1-9]\d{3} ?[A-Z]{2}")


def google_problems(posting: dict) -> list[str]:
    """What Google's job-posting rules would refuse in ``posting`` (empty: valid)."""
    problems = []
    if posting.get("@context") not in ("https://schema.org/", "https://schema.org"):
        problems.append("@context")
    if posting.get("@type") != "JobPosting":
        problems.append("@type")
    for name in REQUIRED:
        if not posting.get(name):
            problems.append(f"missing {name}")
    if not isinstance(posting.get("title"), str) or "<" in posting.get("title", ""):
        problems.append("title is plain text")
    description = posting.get("description", "")
    if not description.startswith("<p>") or "<script" in description.lower():
        problems.append("description is HTML without scripts")
    try:
        posted = date.fromisoformat(posting.get("datePosted", ""))
    except ValueError:
        problems.append("datePosted is ISO 8601")
        posted = None
    if "validThrough" in posting:
        try:
            through = datetime.fromisoformat(posting["validThrough"])
            if through.tzinfo is None:
                problems.append("validThrough has a time zone")
            elif posted and through.date() < posted:
                problems.append("validThrough after datePosted")
        except ValueError:
            problems.append("validThrough is ISO 8601")
    organisation = posting.get("hiringOrganization") or {}
    if organisation.get("@type") != "Organization" or not organisation.get("name"):
        problems.append("hiringOrganization is an Organization with a name")
    if "sameAs" in organisation and not organisation["sameAs"].startswith(("http://", "https://")):
        problems.append("hiringOrganization.sameAs is a URL")
    locations = posting.get("jobLocation")
    for place in locations if isinstance(locations, list) else [locations or {}]:
        address = place.get("address") or {}
        if place.get("@type") != "Place" or address.get("@type") != "PostalAddress":
            problems.append("jobLocation is a Place with a PostalAddress")
        if not address.get("addressLocality") or not address.get("addressCountry"):
            problems.append("jobLocation has a locality and a country")
        if "postalCode" in address and not NL_POSTCODE.fullmatch(address["postalCode"]):
            problems.append("postalCode is a Dutch postcode")
    types = posting.get("employmentType")
    for value in types if isinstance(types, list) else ([types] if types is not None else []):
        if value not in GOOGLE_EMPLOYMENT_TYPES:
            problems.append(f"employmentType {value}")
    education = posting.get("educationRequirements")
    if isinstance(education, dict):
        if education.get("@type") != "EducationalOccupationalCredential":
            problems.append("educationRequirements is an EducationalOccupationalCredential")
        if education.get("credentialCategory") not in GOOGLE_CREDENTIAL_CATEGORIES:
            problems.append(f"credentialCategory {education.get('credentialCategory')}")
    elif education is not None and education != "no requirements":
        problems.append("educationRequirements")
    json.dumps(posting)  # serialisable as JSON-LD
    return problems


@pytest.fixture
def am(factories):
    return factories.UserFactory(role="accountmanager")


@pytest.fixture
def employer(factories, am):
    return factories.EmployerFactory(
        name="Installatiebedrijf Hof & Zn.",
        contactpersoon=am,
        street="Industrieweg",
        house_number="12a",
        postcode="7553 AB",
        city="Hengelo",
        municipality=municipality("Hengelo"),
        website="www.hof-installatie.nl",
    )


def agreed(factories, employer, **kwargs) -> Vacancy:
    values = {
        "title": "Leerling-monteur installatietechniek",
        "hours_per_week": 38,
        "education_level": "mbo3",
        "qualification_name": "Eerste monteur woning",
        "crebo": "25309",
        "learning_path": "bbl",
        "closing_date": today() + timedelta(days=30),
        "requirements": "Rijbewijs B.\n<b>Technisch</b> inzicht.",
        "publish_agreed": True,
    }
    values.update(kwargs)
    return factories.VacancyFactory(employer=employer, **values)


def test_an_agreed_open_vacancy_is_a_valid_job_posting(factories, am, employer):
    vacancy = agreed(factories, employer)
    posting = job_posting.job_posting(am, vacancy)
    assert google_problems(posting) == []
    assert posting["title"] == "Leerling-monteur installatietechniek"
    assert "&lt;b&gt;Technisch&lt;/b&gt;" in posting["description"] and "<b>" not in posting["description"]
    assert "Hof &amp; Zn." in posting["description"]
    assert posting["hiringOrganization"] == {
        "@type": "Organization",
        "name": "Installatiebedrijf Hof & Zn.",
        "sameAs": "https://www.hof-installatie.nl",
    }
    assert posting["jobLocation"]["address"] == {
        "@type": "PostalAddress",
        "streetAddress": "Industrieweg 12a",
        "postalCode": "7553 AB",
        "addressLocality": "Hengelo",
        "addressCountry": "NL",
    }
    assert posting["employmentType"] == "FULL_TIME"
    assert posting["educationRequirements"] == {
        "@type": "EducationalOccupationalCredential",
        "credentialCategory": "professional certificate",
        "educationalLevel": "mbo niveau 3",
        "name": "Eerste monteur woning",
        "identifier": {"@type": "PropertyValue", "propertyID": "crebo", "value": "25309"},
    }
    assert posting["validThrough"].startswith((today() + timedelta(days=30)).isoformat() + "T23:59")


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"hours_per_week": 24}, {"employmentType": "PART_TIME"}),
        ({"learning_path": "bol", "hours_per_week": None}, {"employmentType": "INTERN"}),
        ({"learning_path": "geen", "education_level": "hbo", "crebo": None}, {"credentialCategory": "bachelor degree"}),
        (
            {"education_level": "geen", "learning_path": "geen", "crebo": None},
            {"educationRequirements": "no requirements"},
        ),
        ({"closing_date": None}, {"validThrough": None}),
        ({"municipality": None}, {"addressLocality": "Hengelo"}),
    ],
)
def test_every_shape_keeps_the_rules(factories, am, employer, kwargs, expected):
    posting = job_posting.job_posting(am, agreed(factories, employer, **kwargs))
    assert google_problems(posting) == []
    for key, value in expected.items():
        if key == "credentialCategory":
            assert posting["educationRequirements"][key] == value
        elif key == "addressLocality":
            assert posting["jobLocation"]["address"][key] == value
        else:
            assert posting.get(key) == value


def test_a_vacancy_elsewhere_names_its_own_municipality_only(factories, am, employer):
    posting = job_posting.job_posting(am, agreed(factories, employer, municipality=municipality("Enschede")))
    assert posting["jobLocation"]["address"] == {
        "@type": "PostalAddress",
        "addressLocality": "Enschede",
        "addressCountry": "NL",
    }
    assert google_problems(posting) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"publish_agreed": False}, "niet ingestemd met publicatie"),
        ({"status": "vervuld"}, "staat niet meer open"),
        ({"status": "ingetrokken"}, "staat niet meer open"),
        ({"closing_date": date(2020, 1, 31)}, "sluitingsdatum van deze vacature is voorbij"),
    ],
)
def test_an_unagreed_or_closed_vacancy_is_not_published(factories, am, employer, kwargs, message):
    vacancy = agreed(factories, employer, **kwargs)
    assert not job_posting.is_published(vacancy)
    with pytest.raises(NotPublished, match=message):
        job_posting.job_posting(am, vacancy)


def test_a_vacancy_without_a_place_is_not_published(factories, am):
    nowhere = factories.EmployerFactory(contactpersoon=am, city="", municipality=None)
    vacancy = agreed(factories, nowhere, municipality=None)
    with pytest.raises(NotPublished, match="geen plaats"):
        job_posting.job_posting(am, vacancy)


def test_the_agreement_is_a_checkbox_on_the_vacancy_form(client, factories, am, employer):
    login_as(client, am)
    path = f"/vacatures/nieuw?werkgever={employer.id}"
    assert "De werkgever gaat akkoord met publicatie van deze vacature" in client.get(path).get_data(as_text=True)
    token = csrf_token(client, path)
    response = client.post(path, data=intake(token, publish_agreed="y"))
    assert response.status_code == 302
    vacancy = db.session.scalar(select(Vacancy).where(Vacancy.employer_id == employer.id))
    assert vacancy.publish_agreed is True
    html = client.get(f"/vacatures/{vacancy.id}").get_data(as_text=True)
    assert 'data-publish-agreed="ja"' in html
    assert google_problems(job_posting.job_posting(am, vacancy)) == []

    # Unticked on the edit form: no longer published.
    edit = f"/vacatures/{vacancy.id}/bewerken"
    token = csrf_token(client, edit)
    response = client.post(edit, data=intake(token, version=str(vacancy.version)))
    assert response.status_code == 302
    db.session.refresh(vacancy)
    assert vacancy.publish_agreed is False
    assert not job_posting.is_published(vacancy)
