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
}
