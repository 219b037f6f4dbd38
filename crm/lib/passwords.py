"""Password hashing with argon2id (argon2-cffi), and which new passwords we refuse.

A new password must be long (``MIN_LENGTH``) and hard to guess (ASVS 2.1.7). Length alone lets
``wachtwoord123`` and ``Welkom2026!!`` through, so the guessability is estimated with zxcvbn
(offline, Dropbox's estimator: lists of common passwords, words, names, keyboard patterns,
sequences, repeats, dates and l33t spellings), with three additions it lacks: common Dutch
password words (``DUTCH_WORDS``), the words of this product and of the user (name, e-mail
address), and the years after 2019 (the library's own year pattern stops at 2019). A password
is refused when an attacker who knows these lists needs fewer than 10^``MIN_GUESSES_LOG10``
guesses for it. The message says why in words the user can act on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from zxcvbn import matching, scoring

MIN_LENGTH = 12
MAX_LENGTH = 128
# zxcvbn's "score 4" ("very unguessable"): at least 10^10 guesses, out of reach of an online
# attack and expensive offline against argon2id.
MIN_GUESSES_LOG10 = 10
# zxcvbn's time grows with the square of the length; beyond this the rest only adds strength.
ESTIMATE_CHARS = 64
# Common Dutch password words and the words of this product and its domain, most common first
# (the rank is what an attacker tries first). Lower case; zxcvbn also tries them reversed and
# in l33t spelling (w4chtw00rd).
DUTCH_WORDS = (
    "wachtwoord",
    "welkom",
    "geheim",
    "hallo",
    "welkom01",
    "paswoord",
    "wachtwoord1",
    "inloggen",
    "aanmelden",
    "toegang",
    "sleutel",
    "werkgeverscrm",
    "werkgevers",
    "werkgever",
    "leerwerkloket",
    "leerwerktraject",
    "samenwerkingsverband",
    "accountmanager",
    "coordinator",
    "beheerder",
    "beheer",
    "gebruiker",
    "medewerker",
    "gemeente",
    "kantoor",
    "bedrijf",
    "werk",
    "school",
    "student",
    "nederland",
    "holland",
    "oranje",
    "amsterdam",
    "rotterdam",
    "utrecht",
    "denhaag",
    "eindhoven",
    "groningen",
    "tilburg",
    "almere",
    "breda",
    "nijmegen",
    "enschede",
    "twente",
    "haarlem",
    "arnhem",
    "zwolle",
    "maastricht",
    "leiden",
    "ajax",
    "feyenoord",
    "voetbal",
    "liefde",
    "schatje",
    "schat",
    "lieverd",
    "knuffel",
    "prinses",
    "prinsesje",
    "koning",
    "koningin",
    "engeltje",
    "vrijheid",
    "geluk",
    "gezondheid",
    "familie",
    "kinderen",
    "mama",
    "papa",
    "moeder",
    "vader",
    "oma",
    "opa",
    "vriend",
    "vriendin",
    "vriendje",
    "zonneschijn",
    "regenboog",
    "sterretje",
    "vlinder",
    "bloem",
    "tulp",
    "fiets",
    "konijn",
    "hond",
    "poes",
    "paard",
    "vogel",
    "kaas",
    "koffie",
    "thee",
    "bier",
    "appel",
    "aardbei",
    "zomer",
    "winter",
    "lente",
    "herfst",
    "vakantie",
    "strand",
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
    "maandag",
    "dinsdag",
    "woensdag",
    "donderdag",
    "vrijdag",
    "zaterdag",
    "zondag",
    "qwerty",
    "azerty",
)
_DUTCH = matching.build_ranked_dict(DUTCH_WORDS)
_RECENT_YEARS = {"recent_year": re.compile(r"20[2-4]\d")}
_COMMON_LISTS = {"passwords", "dutch"}
_WORDS = {"english_wikipedia", "us_tv_and_film", "surnames", "male_names", "female_names"}
# A valid hash to verify against when the account is unknown, so timing does not reveal it.
_DUMMY: dict[tuple[int, int], str] = {}


def _hasher() -> PasswordHasher:
    return PasswordHasher(
        time_cost=current_app.config["ARGON2_TIME_COST"],
        memory_cost=current_app.config["ARGON2_MEMORY_COST"],
        parallelism=1,
        type=Type.ID,
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def burn_time(password: str) -> None:
    """Spend the time of one verification (used when no account matches)."""
    key = (current_app.config["ARGON2_TIME_COST"], current_app.config["ARGON2_MEMORY_COST"])
    if key not in _DUMMY:
        _DUMMY[key] = hash_password("dummy password for timing")
    verify_password(_DUMMY[key], password)


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """A Dutch explanation of why a new password is too weak, or None."""
    if len(password) < MIN_LENGTH:
        return f"Kies een wachtwoord van minstens {MIN_LENGTH} tekens."
    if len(password) > MAX_LENGTH:
        return f"Kies een wachtwoord van hoogstens {MAX_LENGTH} tekens."
    lowered = password.lower()
    for part in (email.split("@")[0].lower(), *name.lower().split()):
        if len(part) >= 4 and part in lowered:
            return "Het wachtwoord mag uw naam of e-mailadres niet bevatten."
    if len(set(password)) < 5:
        return "Het wachtwoord is te eenvoudig: gebruik meer verschillende tekens."
    guesses_log10, sequence = estimate(password, _personal_words(email, name))
    if guesses_log10 < MIN_GUESSES_LOG10:
        return _too_guessable(sequence)
    return None


def _personal_words(email: str, name: str) -> list[str]:
    """The user's own words an attacker would try: the name, its parts, the e-mail address and
    its parts (``anna.de.vries@gemeente-almere.nl``: anna, vries, gemeente, almere...)."""
    email = email.strip().lower()
    local, _at, domain = email.partition("@")
    words = [name.strip().lower(), *name.lower().split(), email, local, domain]
    words += re.split(r"[^a-z0-9]+", local) + re.split(r"[^a-z0-9]+", domain.rpartition(".")[0])
    return list(dict.fromkeys(w for w in words if len(w) >= 3))


def estimate(password: str, personal: Sequence[str] = ()) -> tuple[float, list[Mapping[str, Any]]]:
    """zxcvbn's estimate (log10 of the guesses, and the parts it found) with the Dutch and
    personal words and recent years added. Builds its own dictionaries per call: the library's
    ``zxcvbn()`` puts the user's words in a module-wide dictionary, which two threads share."""
    password = password[:ESTIMATE_CHARS]
    dictionaries = {
        **{k: v for k, v in matching.RANKED_DICTIONARIES.items() if k != "user_inputs"},
        "dutch": _DUTCH,
        "user_inputs": matching.build_ranked_dict([w.lower() for w in personal]),
    }
    matches = matching.omnimatch(password, dictionaries)
    matches += matching.regex_match(password, _regexen=_RECENT_YEARS)
    result = scoring.most_guessable_match_sequence(password, matches)
    return float(result["guesses_log10"]), list(result["sequence"])


def _too_guessable(sequence: list[Mapping[str, Any]]) -> str:
    """Why, in Dutch: the weakest kind of part zxcvbn found decides the explanation."""
    patterns = {m["pattern"] for m in sequence}
    lists = {m.get("dictionary_name") for m in sequence if m["pattern"] == "dictionary"}
    if "user_inputs" in lists:
        why = _("het bevat (een deel van) uw naam of e-mailadres")
    elif lists & _COMMON_LISTS:
        why = _("het staat in lijsten van veelgebruikte wachtwoorden die aanvallers als eerste proberen")
    elif patterns & {"spatial", "sequence", "repeat"}:
        why = _("het bestaat uit een toetsenbordpatroon, een reeks (zoals 1234 of abcd) of herhaalde tekens")
    elif patterns & {"date", "regex"}:
        why = _("het bestaat vooral uit een datum of jaartal en een bekend woord")
    elif lists & _WORDS:
        why = _("het bestaat uit een paar bekende woorden of namen met weinig erbij")
    else:
        why = _("het lijkt te veel op patronen die aanvallers als eerste proberen")
    return _(
        "Dit wachtwoord is te makkelijk te raden: %(why)s. Kies bijvoorbeeld een zin van vier of meer "
        "woorden die niet vanzelf bij elkaar horen.",
        why=why,
    )
