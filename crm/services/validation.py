"""Checking and normalising the values people type or import, with Dutch messages.

Forms (through ``crm.forms`` validators) and the importer use the same functions, so a value
is accepted or refused the same way everywhere. Each function returns the normalised value
(or None for an empty optional value) and raises ``Invalid`` with a message for the user.
"""

from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
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
        raise Invalid(_("Een KvK-nummer heeft precies 8 cijfers, bijvoorbeeld 12345678."))
    return value


def vestigingsnummer(value: str | None) -> str | None:
    value = _digits(value or "")
    if not value:
        return None
    if not re.fullmatch(r"\d{12}", value):
        raise Invalid(_("Een vestigingsnummer heeft precies 12 cijfers."))
    return value


def postcode(value: str | None) -> str:
    if value is None or not value.strip():
        return ""
    try:
        return nl_postcode.validate(value)
    except StdnumError:
        raise Invalid(_("Vul een Nederlandse postcode in, bijvoorbeeld 7511 JK.")) from None


def email(value: str | None) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise Invalid(_("Vul een geldig e-mailadres in, bijvoorbeeld info@bedrijf.nl.")) from None


def phone(value: str | None) -> str:
    value = " ".join((value or "").split())
    if not value:
        return ""
    digits = re.sub(r"\D", "", value)
    if not re.fullmatch(r"\+?[\d\s()\-]+", value) or not 9 <= len(digits) <= 15:
        raise Invalid(_("Vul een geldig telefoonnummer in, bijvoorbeeld 053 481 2000."))
    return value


def website(value: str | None) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    if not re.match(r"^https?://", value, re.IGNORECASE):
        value = "https://" + value
    if not re.fullmatch(r"https?://[\w\-]+(\.[\w\-]+)+(:\d+)?(/\S*)?", value, re.IGNORECASE):
        raise Invalid(_("Vul een geldig webadres in, bijvoorbeeld www.bedrijf.nl."))
    return value


def trade_names(value: str | None) -> str:
    """Handelsnamen, one per line: each trimmed, empty lines and repeats dropped. An imported
    cell may separate them with ";" instead (a spreadsheet cell rarely holds line breaks).
    Each is a name, so no bidirectional controls; at most 200 characters each."""
    names: list[str] = []
    for line in re.split(r"[\r\n;]+", value or ""):
        line = " ".join(line.split())
        if not line or line.lower() in (name.lower() for name in names):
            continue
        no_bidi_controls(line)
        if len(line) > 200:
            raise Invalid(_("Een handelsnaam heeft maximaal 200 tekens (nu %(m)s).", m=len(line)))
        names.append(line)
    return "\n".join(names)


def sbi_code(value: str | None) -> str | None:
    """An SBI code (2 to 5 digits, dots allowed) whose division belongs to a known section."""
    value = (value or "").strip()
    if not value:
        return None
    digits = value.replace(".", "")
    if not re.fullmatch(r"\d{2,5}", digits):
        raise Invalid(_("Een SBI-code bestaat uit 2 tot 5 cijfers, bijvoorbeeld 4711 of 47.11."))
    division = int(digits[:2])
    known = db.session.scalar(
        select(SbiSection.code).where(SbiSection.division_from <= division, SbiSection.division_to >= division)
    )
    if known is None:
        raise Invalid(_("SBI-afdeling %(code)s bestaat niet.", code=digits[:2]))
    return digits


# Bidirectional controls (embeddings, overrides and isolates) make a name show differently from
# what it is: "\u202eknaB" shows as "Bank". Nobody types them in a Dutch name; they come from
# pasting or from someone who wants one record to look like another.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def no_bidi_controls(value: str | None) -> str | None:
    """Refuses a name with a bidirectional control character (U+202A-U+202E, U+2066-U+2069).
    The one rule for every name: employers, people at employers, participants, users,
    organisations, partnerships, programme periods; forms (``crm.forms.NAME``), services and
    the import call it."""
    if value and BIDI_CONTROLS.search(value):
        raise Invalid(
            _(
                "De naam bevat een onzichtbaar teken dat de leesrichting omdraait, waardoor de naam er "
                "anders uitziet dan hij is. Typ de naam opnieuw, zonder dat teken."
            )
        )
    return value


def municipality(name: str | None) -> Municipality | None:
    """A municipality from the shipped list, by name (case-insensitive)."""
    name = " ".join(re.sub(r"[\x00-\x1f\x7f]", " ", name or "").split())  # no NUL into a query
    if not name:
        return None
    found = db.session.scalar(select(Municipality).where(func.lower(Municipality.name) == name.lower()))
    if found is None:
        raise Invalid(_("Gemeente '%(name)s' staat niet in de lijst van gemeenten.", name=name))
    return found


# --- no BSN, however it is written ---------------------------------------------------------
# The CRM never stores a burgerservicenummer; ``contains_bsn`` says how a BSN is recognised.

MAX_GAP = 3  # "111 / 222 / 333"
BSN_REDACTED = "[mogelijk BSN verwijderd]"

_NOT_A_BSN = re.compile(
    "|".join(
        (
            r"(?<!\d)0000\d{8}(?!\d)",  # vestigingsnummer
            r"(?:\+|(?<!\d)00)\s?(?:\d[\s\-.()/]{0,2}){8,12}\d",  # international phone number
            r"(?<!\d)(?<!\d[\s\-./])\(?0(?:[\s\-.()/]{0,2}\d){9}(?![\s\-./]?\d)",  # Dutch phone number
            r"(?<!\d)\d{1,2}[\-/.]\d{1,2}[\-/.](?:\d{4}|\d{2})(?!\d)",  # 6-12-2026, 06/12/26
            r"(?<!\d)\d{4}-\d{1,2}-\d{1,2}(?!\d)",  # 2026-12-06
            r"(?<!\d)\d{1,2}:\d{2}(?!\d)",  # 10:30
            r"(?<!\d)[1-9]\d{3} ?[A-Za-z]{2}(?![A-Za-z])",  # 7511 JK
        )
    )
)
_DIGITS = re.compile(r"\d+")


def _normalised(text: str) -> tuple[str, list[int]]:
    """The text as the BSN check reads it, and for each of its characters the index of the
    character it came from (to redact in the original)."""
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if unicodedata.category(char) == "Cf":
            continue
        for part in unicodedata.normalize("NFKC", char):
            if unicodedata.category(part) == "Nd":
                part = str(unicodedata.digit(part))
            out.append(part)
            origin.append(index)
    return "".join(out), origin


def _is_gap(text: str) -> bool:
    return 0 < len(text) <= MAX_GAP and all(c.isspace() or unicodedata.category(c)[0] == "P" for c in text)


def _bsn_spans(text: str) -> list[tuple[int, int]]:
    """Where the normalised text holds a possible BSN: (start, end) in the normalised text."""
    masked = _NOT_A_BSN.sub(lambda m: "x" * len(m.group()), text)
    spans = []
    groups = list(_DIGITS.finditer(masked))
    chain: list[re.Match] = []
    for group in [*groups, None]:
        if group is not None and chain and _is_gap(masked[chain[-1].end() : group.start()]):
            chain.append(group)
            continue
        spans += _chain_spans(chain)
        chain = [group] if group is not None else []
    return spans


def _chain_spans(chain: list[re.Match]) -> list[tuple[int, int]]:
    spans = []
    for group in chain:  # windows inside one unbroken run
        digits = group.group()
        if len(digits) > 9 and any(bsn.is_valid(digits[i : i + 9]) for i in range(len(digits) - 8)):
            spans.append(group.span())
    for first in range(len(chain)):  # consecutive whole groups of exactly nine digits
        digits = ""
        for last in range(first, len(chain)):
            digits += chain[last].group()
            if len(digits) >= 9:
                if len(digits) == 9 and bsn.is_valid(digits):
                    spans.append((chain[first].start(), chain[last].end()))
                break
    return spans


def contains_bsn(text: str | None) -> bool:
    """True when the text holds a nine-digit number that passes the elfproef (a possible BSN),
    however it is written. The text is normalised first, so the writing makes no difference:

    - Unicode NFKC (fullwidth "１２３" is "123"), every other decimal digit (Arabic-Indic "١٢٣",
      Devanagari...) as its ASCII digit, format characters (category Cf: zero-width spaces,
      soft hyphens, bidi controls) removed;
    - digit groups joined by a short run (at most MAX_GAP characters) of spaces and punctuation
      ("111 222 333", "111  222  333", "111/222/333", "111_222_333", "111,222,333",
      "1112.22.333", "111 - 222 - 333") form a chain; every run of consecutive whole groups of
      exactly nine digits in a chain is checked ("dossier 12 111222333", "111222333 4");
    - inside one unbroken run of ten or more digits, every nine-digit window is checked
      ("12111222333", "1112223334").

    The trade-off, so that ordinary contact notes pass. Numbers that are something else are
    taken out before the chains are formed, in the shapes Dutch notes write them: phone numbers
    (ten digits starting with 0: "074 305 6800", "(074) 305 68 00", "06-12345678"; or after +
    or 0031), vestigingsnummers (twelve digits starting with 0000), dates ("6-12-2026",
    "06/12/26", "2026-12-06"), times ("10:30") and postcodes ("7511 JK"). A KvK number (eight
    digits) is never a candidate. So a BSN written in one of those shapes is not found: "0" in
    front of it makes a phone number of it. Windows are taken inside an unbroken run only, not
    across groups: across groups a list of numbers or a date beside a phone number gives many
    windows, each passing the elfproef one time in eleven; so a BSN split inside a longer group
    ("12111 222 333") is not found either. What is left is flagged as it would be on paper:
    any nine-digit number has a one in eleven chance (measured: 8.8% of random nine-digit
    numbers, 9.1% of "kamers 101, 102, 103"-style lists, 17% of ten-digit numbers not starting
    with 0), and the message asks to leave the number out. Measured on phone numbers in four
    formats, mobile numbers, KvK numbers, vestigingsnummers and dates with times: 0 of 20,000
    each (``tests/test_bsn.py`` holds realistic notes and 1,000 generated ones)."""
    if not text or not any(c.isdigit() for c in str(text)):
        return False
    return bool(_bsn_spans(_normalised(str(text))[0]))


def redact_bsn(text: str) -> str:
    """The text with every possible BSN replaced by BSN_REDACTED."""
    if not text or not any(c.isdigit() for c in text):
        return text
    normalised, origin = _normalised(text)
    spans = _bsn_spans(normalised)
    if not spans:
        return text
    marks = sorted((origin[start], origin[end - 1] + 1) for start, end in spans)
    merged: list[list[int]] = []
    for start, end in marks:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in reversed(merged):
        text = text[:start] + BSN_REDACTED + text[end:]
    return text


def redact_bsn_in(value):
    """``value`` (text, or a JSON-like structure of dicts and lists) with every string passed
    through redact_bsn."""
    if isinstance(value, str):
        return redact_bsn(value)
    if isinstance(value, dict):
        return {key: redact_bsn_in(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_bsn_in(item) for item in value]
    return value


def no_bsn(text: str | None) -> str:
    if contains_bsn(text):
        raise Invalid(
            _(
                "Dit veld bevat een nummer dat een burgerservicenummer (BSN) kan zijn. "
                "Het CRM mag geen BSN bevatten: haal het nummer weg."
            )
        )
    return text or ""
