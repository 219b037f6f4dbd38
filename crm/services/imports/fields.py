"""The CRM fields a file column can feed, and the guess which column feeds which field by its header."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from crm.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class ImportField:
    key: str
    label: Any  # a lazy string
    synonyms: tuple[str, ...] = ()
    required: bool = False


FIELDS: tuple[ImportField, ...] = (
    ImportField(
        "name",
        _l("Naam"),
        (
            "naam",
            "bedrijfsnaam",
            "statutairenaam",
            "werkgever",
            "naamwerkgever",
            "werkgevernaam",
            "organisatie",
            "organisatienaam",
            "bedrijf",
            "name",
            "companyname",
            "handelsnaam",  # last: beside another name column it holds the trade names
        ),
        required=True,
    ),
    ImportField(
        "kvk_number",
        _l("KvK-nummer"),
        ("kvk", "kvknummer", "kvknr", "kvkno", "kamervankoophandel", "kvkinschrijvingsnummer", "chamberofcommerce"),
    ),
    ImportField(
        "trade_names",
        _l("Handelsnamen (gescheiden door ;)"),
        ("handelsnaam", "handelsnamen", "andrehandelsnamen", "tradename", "tradenames"),
    ),
    ImportField("vestigingsnummer", _l("Vestigingsnummer"), ("vestigingsnummer", "vestigingsnr", "vestnr")),
    ImportField("street", _l("Straat"), ("straat", "straatnaam", "adres", "bezoekadres", "street")),
    ImportField("house_number", _l("Huisnummer"), ("huisnummer", "huisnr", "nr", "nummer", "housenumber")),
    ImportField("postcode", _l("Postcode"), ("postcode", "pc", "postalcode", "zipcode", "zip")),
    ImportField("city", _l("Plaats"), ("plaats", "woonplaats", "vestigingsplaats", "plaatsnaam", "stad", "city")),
    ImportField("municipality", _l("Gemeente"), ("gemeente", "gemeentenaam", "municipality")),
    ImportField(
        "sbi_code", _l("SBI-code"), ("sbi", "sbicode", "sbihoofdactiviteit", "hoofdactiviteit", "sbiactiviteit")
    ),
    ImportField(
        "size",
        _l("Grootte"),
        ("grootte", "omvang", "bedrijfsgrootte", "grootteklasse", "aantalmedewerkers", "aantalwerknemers"),
    ),
    ImportField("phone", _l("Telefoon"), ("telefoon", "telefoonnummer", "telefoonnr", "tel", "telnr", "phone")),
    ImportField("email", _l("E-mail"), ("email", "emailadres", "mail", "mailadres")),
    ImportField("website", _l("Website"), ("website", "webadres", "internetadres", "url", "homepage", "site")),
    ImportField("erkend_leerbedrijf", _l("Erkend leerbedrijf (ja/nee)"), ("erkendleerbedrijf", "leerbedrijf")),
    ImportField("status", _l("Status"), ("status",)),
    ImportField(
        "contactpersoon",
        _l("Contactpersoon (e-mailadres van een CRM-gebruiker)"),
        ("contactpersoon", "accountmanager", "emailcontactpersoon", "contactpersoonemail", "emailaccountmanager"),
    ),
    ImportField("notes", _l("Notities"), ("notities", "notitie", "opmerkingen", "opmerking", "toelichting", "notes")),
)
FIELD_BY_KEY = {f.key: f for f in FIELDS}
REPORT_COLUMN = "fouten"


def header_key(text: str) -> str:
    """A header reduced for matching: no accents, case, spaces or punctuation ("E-mailadres" -> "emailadres")."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch)).lower()


def guess_mapping(headers: list[str]) -> dict[str, int]:
    """``{field key: column index}`` for the headers that name a CRM field (each used once)."""
    keys = [header_key(h) for h in headers]
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for import_field in FIELDS:
        for synonym in import_field.synonyms:
            column = next((i for i, key in enumerate(keys) if key == synonym and i not in used), None)
            if column is not None:
                mapping[import_field.key] = column
                used.add(column)
                break
    return mapping
