"""A vacancy as a schema.org JobPosting (JSON-LD), for job sites and search engines.

Only a vacancy the employer agreed to publish (``Vacancy.publish_agreed``, a checkbox on the
vacancy form) that is still open: the status is one of the open ones and the closing date has
not passed. Search engines' job-posting rules ask that an expired posting is taken down rather
than marked up, so a closed vacancy is *not published*, not a posting with an old date.

The shape follows Google's published rules for job-posting structured data:
required ``title``, ``description`` (HTML), ``datePosted``, ``hiringOrganization`` and
``jobLocation`` (a Place with a PostalAddress); recommended ``validThrough`` (when the vacancy
has a closing date), ``employmentType`` (one of Google's values) and ``identifier``; and
``educationRequirements`` as an EducationalOccupationalCredential with Google's
``credentialCategory`` (mbo diplomas are vocational certificates, hbo a bachelor's degree),
the Dutch level and the qualification's crebo code, or "no requirements". A vacancy without a
place (neither its own municipality nor the employer's city) cannot name a jobLocation, so it
is not published either.

The posting is public text, so it says only what the employer agreed to: the vacancy's intake
and the employer's name, address and website; never contacts, notes or candidates. Its
language is Dutch whatever the reader's: it is the vacancy as the employer publishes it.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from flask_babel import gettext as _
from markupsafe import escape

from crm import permissions
from crm.lib.clock import AMSTERDAM, local, today
from crm.models import User, Vacancy
from crm.services.errors import ServiceError
from crm.services.vacancies import OPEN_STATUSES

# Google's employmentType values.
EMPLOYMENT_TYPES = ("FULL_TIME", "PART_TIME", "CONTRACTOR", "TEMPORARY", "INTERN", "VOLUNTEER", "PER_DIEM", "OTHER")
# Google's credentialCategory values for educationRequirements.
CREDENTIAL_CATEGORIES = (
    "high school",
    "associate degree",
    "bachelor degree",
    "professional certificate",
    "postgraduate degree",
)
NO_REQUIREMENTS = "no requirements"
# A Dutch full-time week: 36 hours or more (collective agreements run from 36 to 40).
FULL_TIME_HOURS = 36

LEVELS = {
    "mbo1": ("professional certificate", "mbo niveau 1 (entree)"),
    "mbo2": ("professional certificate", "mbo niveau 2"),
    "mbo3": ("professional certificate", "mbo niveau 3"),
    "mbo4": ("professional certificate", "mbo niveau 4"),
    "hbo": ("bachelor degree", "hbo"),
}
PATHS = {"bbl": "BBL (werken en leren)", "bol": "BOL (school met stage)"}


class NotPublished(ServiceError):
    """The vacancy is not (or no longer) published: no agreement, closed, or without a place."""


def refusal(vacancy: Vacancy, *, on: date | None = None) -> str | None:
    """Why ``vacancy`` is not published (a Dutch sentence), or None when it is."""
    on = on or today()
    if not vacancy.publish_agreed:
        return _("De werkgever heeft niet ingestemd met publicatie van deze vacature.")
    if vacancy.status not in OPEN_STATUSES:
        return _("Deze vacature staat niet meer open.")
    if vacancy.closing_date is not None and vacancy.closing_date < on:
        return _("De sluitingsdatum van deze vacature is voorbij.")
    if not _locality(vacancy):
        return _("Deze vacature heeft geen plaats: vul de gemeente in.")
    return None


def is_published(vacancy: Vacancy, *, on: date | None = None) -> bool:
    return refusal(vacancy, on=on) is None


def job_posting(actor: User, vacancy: Vacancy, *, on: date | None = None, url: str | None = None) -> dict[str, Any]:
    """The JSON-LD of ``vacancy`` as a JobPosting; ``NotPublished`` when it may not be."""
    permissions.require(permissions.can_view_vacancy(actor, vacancy))
    reason = refusal(vacancy, on=on)
    if reason is not None:
        raise NotPublished(reason)
    employer = vacancy.employer
    posting: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "JobPosting",
        "title": vacancy.title,
        "description": _description(vacancy),
        "identifier": {"@type": "PropertyValue", "name": employer.name, "value": str(vacancy.id)},
        "datePosted": local(vacancy.created_at).date().isoformat() if vacancy.created_at else today().isoformat(),
        "hiringOrganization": _organisation(vacancy),
        "jobLocation": {"@type": "Place", "address": _address(vacancy)},
    }
    if vacancy.closing_date is not None:
        posting["validThrough"] = datetime.combine(vacancy.closing_date, time(23, 59), AMSTERDAM).isoformat()
    employment_type = _employment_type(vacancy)
    if employment_type is not None:
        posting["employmentType"] = employment_type
    education = _education(vacancy)
    if education is not None:
        posting["educationRequirements"] = education
    if vacancy.positions > 1:
        posting["totalJobOpenings"] = vacancy.positions
    if vacancy.start_date is not None:
        posting["jobStartDate"] = vacancy.start_date.isoformat()
    if url:
        posting["url"] = url
    return posting


def _locality(vacancy: Vacancy) -> str:
    if vacancy.municipality is not None:
        return vacancy.municipality.name
    return vacancy.employer.city.strip()


def _address(vacancy: Vacancy) -> dict[str, str]:
    """The employer's address when the vacancy is there (or names no other municipality);
    otherwise only the vacancy's municipality."""
    employer = vacancy.employer
    address = {"@type": "PostalAddress"}
    elsewhere = vacancy.municipality is not None and vacancy.municipality.id != employer.municipality_id
    if not elsewhere:
        street = f"{employer.street} {employer.house_number}".strip()
        if street:
            address["streetAddress"] = street
        if employer.postcode:
            address["postalCode"] = employer.postcode
    address["addressLocality"] = _locality(vacancy)
    address["addressCountry"] = "NL"
    return address


def _organisation(vacancy: Vacancy) -> dict[str, Any]:
    employer = vacancy.employer
    organisation: dict[str, Any] = {"@type": "Organization", "name": employer.name}
    if employer.website:
        website = employer.website if "://" in employer.website else f"https://{employer.website}"
        organisation["sameAs"] = website
    return organisation


def _employment_type(vacancy: Vacancy) -> str | None:
    if vacancy.learning_path == "bol":
        return "INTERN"  # a BOL place is a work placement (stage) during school
    if vacancy.hours_per_week is None:
        return None
    return "FULL_TIME" if vacancy.hours_per_week >= FULL_TIME_HOURS else "PART_TIME"


def _education(vacancy: Vacancy) -> dict[str, Any] | str | None:
    if vacancy.education_level == "geen":
        return NO_REQUIREMENTS
    if vacancy.education_level not in LEVELS:
        return None
    category, level = LEVELS[vacancy.education_level]
    credential: dict[str, Any] = {
        "@type": "EducationalOccupationalCredential",
        "credentialCategory": category,
        "educationalLevel": level,
    }
    if vacancy.qualification_name:
        credential["name"] = vacancy.qualification_name
    if vacancy.crebo:
        credential["identifier"] = {"@type": "PropertyValue", "propertyID": "crebo", "value": vacancy.crebo}
    return credential


def _description(vacancy: Vacancy) -> str:
    """The intake as a short HTML text (Google asks for HTML); every value escaped."""
    facts = [f"Aantal plaatsen: {vacancy.positions}"]
    if vacancy.hours_per_week:
        facts.append(f"Uren per week: {vacancy.hours_per_week}")
    if vacancy.education_level in LEVELS:
        facts.append(f"Opleiding: {LEVELS[vacancy.education_level][1]}")
    if vacancy.qualification_name:
        crebo = f" (crebo {vacancy.crebo})" if vacancy.crebo else ""
        facts.append(f"Kwalificatie: {vacancy.qualification_name}{crebo}")
    if vacancy.learning_path in PATHS:
        facts.append(f"Leerweg: {PATHS[vacancy.learning_path]}")
    if vacancy.start_date:
        facts.append(f"Start: {vacancy.start_date:%d-%m-%Y}")
    parts = [f"<p>{escape(vacancy.title)} bij {escape(vacancy.employer.name)}.</p>"]
    parts.append("<ul>" + "".join(f"<li>{escape(fact)}</li>" for fact in facts) + "</ul>")
    if vacancy.requirements.strip():
        lines = "<br>".join(str(escape(line)) for line in vacancy.requirements.strip().splitlines())
        parts.append(f"<p>Eisen:<br>{lines}</p>")
    return "".join(str(part) for part in parts)
