"""Dutch labels for the codes stored in the database (translated through Flask-Babel)."""

from crm.i18n import lazy_gettext as _l

ROLE_LABELS = {
    "admin": _l("Beheerder"),
    "coordinator": _l("Coördinator"),
    "accountmanager": _l("Accountmanager"),
    "partner": _l("Partner"),
}
ORGANISATION_KIND_LABELS = {
    "uwv": _l("UWV"),
    "gemeente": _l("Gemeente"),
    "roc": _l("ROC (mbo-school)"),
    "kenniscentrum": _l("Kenniscentrum / SBB"),
    "uitzendbureau": _l("Uitzendbureau"),
    "reintegratie": _l("Re-integratiebedrijf"),
    "evc_aanbieder": _l("EVC-aanbieder"),
    "branche": _l("Brancheorganisatie"),
    "overig": _l("Overig"),
}
PARTNERSHIP_SCOPE_LABELS = {
    "regionaal": _l("Regionaal"),
    "sectoraal": _l("Sectoraal"),
    "landelijk": _l("Landelijk"),
}
EMPLOYER_STATUS_LABELS = {
    "prospect": _l("Prospect"),
    "actief": _l("Actief"),
    "inactief": _l("Inactief"),
}
EMPLOYER_SIZE_LABELS = {
    "micro": _l("1-9 medewerkers"),
    "klein": _l("10-49 medewerkers"),
    "middel": _l("50-249 medewerkers"),
    "groot": _l("250 of meer medewerkers"),
}
VISIBILITY_LABELS = {
    "gedeeld": _l("Gedeeld met alle partners"),
    "intern": _l("Intern (alleen mijn organisatie)"),
}
CHANNEL_LABELS = {
    "telefoon": _l("Telefoon"),
    "bezoek": _l("Bezoek"),
    "email": _l("E-mail"),
    "leerwerkloket": _l("Leerwerkloket"),
    "mobiel_leerwerkloket": _l("Mobiel leerwerkloket"),
    "bijeenkomst": _l("Bijeenkomst"),
    "overig": _l("Overig"),
}
VACANCY_STATUS_LABELS = {
    "nieuw": _l("Nieuw"),
    "intake_gedaan": _l("Intake gedaan"),
    "kandidaten_voorgesteld": _l("Kandidaten voorgesteld"),
    "vervuld": _l("Vervuld"),
    "ingetrokken": _l("Ingetrokken"),
    "verlopen": _l("Verlopen"),
}
TRAJECTORY_STATUS_LABELS = {
    "aangemeld": _l("Aangemeld"),
    "intake": _l("Intake"),
    "gestart": _l("Gestart"),
    "afgerond": _l("Afgerond"),
    "uitgevallen": _l("Uitgevallen"),
}
EDUCATION_LEVEL_LABELS = {
    "mbo1": _l("mbo 1 (entree)"),
    "mbo2": _l("mbo 2"),
    "mbo3": _l("mbo 3"),
    "mbo4": _l("mbo 4"),
    "hbo": _l("hbo"),
    "geen": _l("Geen opleidingseis"),
}
LEARNING_PATH_LABELS = {
    "bbl": _l("BBL (werken en leren)"),
    "bol": _l("BOL (school met stage)"),
    "geen": _l("Geen leerweg"),
}
TRAJECTORY_KIND_LABELS = {"duaal": _l("Duaal"), "evc": _l("EVC")}
DUE_GROUP_LABELS = {
    "overdue": _l("Te laat"),
    "today": _l("Vandaag"),
    "this_week": _l("Deze week"),
    "later": _l("Later"),
}

DOELGROEP_LABELS = {
    "jongere_zonder_startkwalificatie": _l("Werkende jongere zonder startkwalificatie"),
    "werkzoekende": _l("Werkzoekende"),
    "met_werkloosheid_bedreigd": _l("Met werkloosheid bedreigd"),
    "werkende": _l("Werkende"),
}
TRAJECTORY_OUTCOME_LABELS = {
    "diploma": _l("Diploma"),
    "certificaat": _l("Certificaat"),
    "ervaringscertificaat": _l("Ervaringscertificaat"),
}
DROPOUT_REASON_LABELS = {
    "ander_werk": _l("Ander werk gevonden"),
    "werk_beeindigd": _l("Dienstverband beëindigd"),
    "opleiding_past_niet": _l("Opleiding past niet"),
    "gezondheid": _l("Gezondheid"),
    "persoonlijke_omstandigheden": _l("Persoonlijke omstandigheden"),
    "verhuisd": _l("Verhuisd"),
    "overig": _l("Overig"),
}
INVOLVEMENT_ROLE_LABELS = {
    "school": _l("School (ROC)"),
    "evc_aanbieder": _l("EVC-aanbieder"),
    "kenniscentrum": _l("Kenniscentrum (SBB)"),
    "uwv": _l("UWV"),
    "gemeente": _l("Gemeente"),
    "overig": _l("Overig"),
}

FOLLOW_UP_STATUS_LABELS = {"open": _l("Open"), "afgerond": _l("Afgerond"), "geannuleerd": _l("Geannuleerd")}
DELIVERY_KIND_LABELS = {
    "due": _l("Herinnering: opvolgactie vandaag"),
    "overdue": _l("Herinnering: opvolgactie verlopen"),
    "digest": _l("Dagelijks overzicht"),
    "partner_contacts": _l("Contacten van partners"),
}
ALL_LABELS = {
    "role": ROLE_LABELS,
    "organisation_kind": ORGANISATION_KIND_LABELS,
    "partnership_scope": PARTNERSHIP_SCOPE_LABELS,
    "employer_status": EMPLOYER_STATUS_LABELS,
    "employer_size": EMPLOYER_SIZE_LABELS,
    "visibility": VISIBILITY_LABELS,
    "channel": CHANNEL_LABELS,
    "vacancy_status": VACANCY_STATUS_LABELS,
    "trajectory_status": TRAJECTORY_STATUS_LABELS,
    "trajectory_kind": TRAJECTORY_KIND_LABELS,
    "due_group": DUE_GROUP_LABELS,
    "doelgroep": DOELGROEP_LABELS,
    "trajectory_outcome": TRAJECTORY_OUTCOME_LABELS,
    "dropout_reason": DROPOUT_REASON_LABELS,
    "involvement_role": INVOLVEMENT_ROLE_LABELS,
    "education_level": EDUCATION_LEVEL_LABELS,
    "learning_path": LEARNING_PATH_LABELS,
    "delivery_kind": DELIVERY_KIND_LABELS,
    "follow_up_status": FOLLOW_UP_STATUS_LABELS,
}

# --- the audit log (Logboek) -------------------------------------------------------------------

AUDIT_ACTION_LABELS = {
    "create": _l("Aangemaakt"),
    "update": _l("Gewijzigd"),
    "delete": _l("Verwijderd"),
    "status": _l("Vacaturestatus gewijzigd"),
    "transition": _l("Trajectstatus gewijzigd"),
    "handover": _l("Overgedragen"),
    "merge": _l("Samengevoegd"),
    "import": _l("Geïmporteerd"),
    "imported": _l("Geïmporteerd"),  # one employer of an import (crm.services.imports.importing)
    "export": _l("Geëxporteerd"),
    "view": _l("Bekeken"),
    "login": _l("Ingelogd"),
    "login_failed": _l("Inloggen mislukt"),
    "login_password_ok": _l("Wachtwoord juist, tweede stap nog niet gedaan"),
    "recovery_code_used": _l("Herstelcode gebruikt"),
    "recovery_codes_created": _l("Herstelcodes aangemaakt"),
    "two_factor_reset": _l("Tweestapsverificatie uitgezet door beheerder"),
    "password_changed": _l("Wachtwoord gewijzigd"),
    "password_reset": _l("Wachtwoord opnieuw ingesteld"),
    "activate": _l("Geactiveerd"),
    "deactivate": _l("Gedeactiveerd"),
    "anonymise": _l("Geanonimiseerd"),
    "permission_denied": _l("Toegang geweigerd"),
    "mail_failed": _l("E-mail niet bezorgd"),
    "mail_retry": _l("E-mail opnieuw verstuurd"),
    "ical_token_created": _l("Agenda-adres aangemaakt"),
    "ical_token_regenerated": _l("Agenda-adres vernieuwd"),
    "ical_token_revoked": _l("Agenda-adres ingetrokken"),
}
RECORD_TYPE_LABELS = {
    "employer": _l("Werkgever"),
    "employer_contact": _l("Contactpersoon bij werkgever"),
    "contactpersoon_assignment": _l("Toewijzing contactpersoon"),
    "vacancy": _l("Vacature"),
    "participant": _l("Deelnemer"),
    "trajectory": _l("Traject"),
    "contact": _l("Contactmoment"),
    "follow_up": _l("Opvolgactie"),
    "user": _l("Gebruiker"),
    "organisation": _l("Organisatie"),
    "partnership": _l("Samenwerkingsverband"),
    "programme_period": _l("Programmaperiode"),
    "ambition": _l("Ambitie"),
    "delivery": _l("E-mail"),
    "audit_event": _l("Logboek"),
}
# The audited fields, by the name the services record them under.
FIELD_LABELS = {
    # employers and their people
    "name": _l("Naam"),
    "kvk_number": _l("KvK-nummer"),
    "vestigingsnummer": _l("Vestigingsnummer"),
    "sbi_code": _l("SBI-code"),
    "size": _l("Omvang"),
    "street": _l("Straat"),
    "house_number": _l("Huisnummer"),
    "postcode": _l("Postcode"),
    "city": _l("Plaats"),
    "municipality_id": _l("Gemeente"),
    "phone": _l("Telefoon"),
    "email": _l("E-mail"),
    "website": _l("Website"),
    "trade_names": _l("Handelsnamen"),
    "erkend_leerbedrijf": _l("Erkend leerbedrijf"),
    "status": _l("Status"),
    "notes": _l("Notities"),
    "contactpersoon": _l("Contactpersoon"),
    "merged_into_id": _l("Samengevoegd met"),
    "function": _l("Functie"),
    "is_primary": _l("Eerste aanspreekpunt"),
    # vacancies
    "title": _l("Functietitel"),
    "positions": _l("Aantal plaatsen"),
    "hours_per_week": _l("Uren per week"),
    "education_level": _l("Opleidingsniveau"),
    "qualification_name": _l("Kwalificatie"),
    "crebo": _l("Crebo"),
    "learning_path": _l("Leerweg"),
    "start_date": _l("Startdatum"),
    "closing_date": _l("Sluitingsdatum"),
    "requirements": _l("Eisen"),
    "erkend_for_qualification": _l("Erkend leerbedrijf voor deze kwalificatie"),
    "organisations": _l("Betrokken partners"),
    # participants
    "first_name": _l("Voornaam"),
    "last_name": _l("Achternaam"),
    "doelgroep": _l("Doelgroep"),
    "birth_year": _l("Geboortejaar"),
    "birth_date": _l("Geboortedatum"),
    "has_startkwalificatie": _l("Startkwalificatie"),
    "referring_organisation_id": _l("Verwijzende organisatie"),
    "consent_purpose": _l("Doel van de toestemming"),
    "consent": _l("Toestemming"),
    # trajectories
    "kind": _l("Soort"),
    "partnership_id": _l("Samenwerkingsverband"),
    "involvements": _l("Betrokken organisaties"),
    "employer_id": _l("Werkgever"),
    "vacancy_id": _l("Vacature"),
    "period_id": _l("Programmaperiode"),
    "regeling": _l("Regeling"),
    "planned_start": _l("Geplande start"),
    "planned_end": _l("Gepland einde"),
    "actual_start": _l("Werkelijke start"),
    "actual_end": _l("Werkelijk einde"),
    "guidance_hours": _l("Uren extra begeleiding"),
    "outcome": _l("Resultaat"),
    "dropout_reason": _l("Reden van uitval"),
    "dropout_text": _l("Toelichting bij uitval"),
    "reason": _l("Toelichting"),
    # contacts and follow-ups
    "channel": _l("Kanaal"),
    "summary": _l("Samenvatting"),
    "occurred_at": _l("Datum"),
    "visibility": _l("Zichtbaarheid"),
    "due_date": _l("Vervaldatum"),
    "subject": _l("Onderwerp"),
    "owner_id": _l("Eigenaar"),
    # users, organisations, partnerships, periods, ambitions
    "role": _l("Rol"),
    "organisation": _l("Organisatie"),
    "locale": _l("Taal"),
    "notify_digest": _l("Dagelijks overzicht per e-mail"),
    "notify_reminders": _l("Herinneringen per e-mail"),
    "two_factor": _l("Tweestapsverificatie"),
    "active": _l("Actief"),
    "scope": _l("Reikwijdte"),
    "region_id": _l("Arbeidsmarktregio"),
    "description": _l("Omschrijving"),
    "members": _l("Leden"),
    "starts_on": _l("Begindatum"),
    "ends_on": _l("Einddatum"),
    "target": _l("Ambitie"),
    # imports and exports
    "file": _l("Bestand"),
    "rows": _l("Regels"),
    "created": _l("Aangemaakt"),
    "skipped_errors": _l("Overgeslagen (fouten)"),
    "skipped_duplicates": _l("Overgeslagen (dubbel)"),
    "employer_ids": _l("Werkgevers"),
    "format": _l("Formaat"),
    "table": _l("Tabel"),
}
# Which stored codes a field holds: per record type first, then for any record.
VALUE_LABELS = {
    ("vacancy", "status"): VACANCY_STATUS_LABELS,
    ("trajectory", "status"): TRAJECTORY_STATUS_LABELS,
    ("employer", "status"): EMPLOYER_STATUS_LABELS,
    # the audit trail keeps the codes of before migration c4f0e1d2a3b5 (done, cancelled)
    ("follow_up", "status"): {
        **FOLLOW_UP_STATUS_LABELS,
        "done": FOLLOW_UP_STATUS_LABELS["afgerond"],
        "cancelled": FOLLOW_UP_STATUS_LABELS["geannuleerd"],
    },
    ("trajectory", "kind"): TRAJECTORY_KIND_LABELS,
    ("ambition", "kind"): TRAJECTORY_KIND_LABELS,
    ("organisation", "kind"): ORGANISATION_KIND_LABELS,
    ("trajectory", "outcome"): TRAJECTORY_OUTCOME_LABELS,
    "size": EMPLOYER_SIZE_LABELS,
    "visibility": VISIBILITY_LABELS,
    "channel": CHANNEL_LABELS,
    "role": ROLE_LABELS,
    "scope": PARTNERSHIP_SCOPE_LABELS,
    "doelgroep": DOELGROEP_LABELS,
    "dropout_reason": DROPOUT_REASON_LABELS,
    "education_level": EDUCATION_LEVEL_LABELS,
    "learning_path": LEARNING_PATH_LABELS,
}


def value_labels(object_type: str, field: str) -> dict | None:
    """The labels of the codes ``field`` of an ``object_type`` record holds, if it holds codes."""
    return VALUE_LABELS.get((object_type, field)) or VALUE_LABELS.get(field)
