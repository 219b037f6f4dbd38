"""Checking and normalising the values people type or import, with Dutch messages.

Forms (through ``crm.forms`` validators) and the importer use the same functions, so a value
is accepted or refused the same way everywhere. Each function returns the normalised value
(or None for an empty optional value) and raises ``Invalid`` with a message for the user.
"""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.nl import bsn
from stdnum.nl import postcode as nl_postcode

from crm.extensions import db
from crm.models import Municipality, SbiSection
from crm.services.errors import ServiceError


class Invalid(ServiceError):
    pass


def _digits(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "")


def kvk_number(value: str | None) -> str | None:
    value = _digits(value or "")
    if not value:
        return None
    if not re.fullmatch(r"\d{8}", value):
        raise Invalid("Een KvK-nummer heeft precies 8 cijfers, bijvoorbeeld 12345678.")
    return value


def vestigingsnummer(value: str | None) -> str | None:
    value = _digits(value or "")
    if not value:
        return None
    if not re.fullmatch(r"\d{12}", value):
        raise Invalid("Een vestigingsnummer heeft precies 12 cijfers.")
    return value


def postcode(value: str | None) -> str:
    if not (value or "").strip():
        return ""
    try:
        return nl_postcode.validate(value)
    except StdnumError:
        raise Invalid("Vul een Nederlandse postcode in, bijvoorbeeld 7511 JK.") from None


def email(value: str | None) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise Invalid("Vul een geldig e-mailadres in, bijvoorbeeld info@bedrijf.nl.") from None


def phone(value: str | None) -> str:
    value = " ".join((value or "").split())
    if not value:
        return ""
    digits = re.sub(r"\D", "", value)
    if not re.fullmatch(r"\+?[\d\s()\-]+", value) or not 9 <= len(digits) <= 15:
        raise Invalid("Vul een geldig telefoonnummer in, bijvoorbeeld 053 481 2000.")
    return value


def website(value: str | None) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    if not re.match(r"^https?://", value, re.IGNORECASE):
        value = "https://" + value
    if not re.fullmatch(r"https?://[\w\-]+(\.[\w\-]+)+(:\d+)?(/\S*)?", value, re.IGNORECASE):
        raise Invalid("Vul een geldig webadres in, bijvoorbeeld www.bedrijf.nl.")
    return value


def sbi_code(value: str | None) -> str | None:
    """An SBI code (2 to 5 digits, dots allowed) whose division belongs to a known section."""
    value = (value or "").strip()
    if not value:
        return None
    digits = value.replace(".", "")
    if not re.fullmatch(r"\d{2,5}", digits):
        raise Invalid("Een SBI-code bestaat uit 2 tot 5 cijfers, bijvoorbeeld 4711 of 47.11.")
    division = int(digits[:2])
    known = db.session.scalar(
        select(SbiSection.code).where(SbiSection.division_from <= division, SbiSection.division_to >= division)
    )
    if known is None:
        raise Invalid(f"SBI-afdeling {digits[:2]} bestaat niet.")
    return digits


def municipality(name: str | None) -> Municipality | None:
    """A municipality from the shipped list, by name (case-insensitive)."""
    name = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", name or "").split())  # no NUL into a query
    if not name:
        return None
    found = db.session.scalar(select(Municipality).where(func.lower(Municipality.name) == name.lower()))
    if found is None:
        raise Invalid(f"Gemeente '{name}' staat niet in de lijst van gemeenten.")
    return found


# A run of digits, single spaces, dots or dashes allowed between them ("123 456 782").
DIGIT_RUN = re.compile(r"\d(?:[\s.\-]?\d)*")


def contains_bsn(text: str | None) -> bool:
    """True when the text holds a 9-digit number that passes the elfproef (a possible BSN).

    Whole runs of digits are judged, so a phone number (10 digits) or a vestigingsnummer
    (12 digits) never counts as a BSN, whatever nine of its digits would give."""
    for match in DIGIT_RUN.finditer(str(text or "")):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) == 9 and bsn.is_valid(digits):
            return True
    return False


def no_bsn(text: str | None) -> str:
    if contains_bsn(text):
        raise Invalid(
            "Dit veld bevat een nummer dat een burgerservicenummer (BSN) kan zijn. "
            "Het CRM mag geen BSN bevatten: haal het nummer weg."
        )
    return text or ""
