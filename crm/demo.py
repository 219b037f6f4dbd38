"""Demo data: a realistic Twente learn-work partnership (``flask crm seed-demo``).

Everything is generated from ``random.Random(2026)`` and small shipped lists (no Faker at
runtime), relative to the current date so that the worklist always has overdue, today's and
upcoming follow-ups. Employers and everything hanging off them are written in batches with
SQLAlchemy's bulk ``insert()``, so ``--employers 100000`` stays feasible and memory stays flat.

The data never contains a BSN or any other nine-digit number: phone numbers are written in
groups, KvK numbers have eight digits and no vestigingsnummer is generated.
"""

from __future__ import annotations

import bisect
import itertools
import random
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text

from crm.extensions import db
from crm.models import (
    Ambition,
    Contact,
    ContactpersoonAssignment,
    Employer,
    EmployerContact,
    FollowUp,
    Municipality,
    Notification,
    Organisation,
    Participant,
    Partnership,
    ProgrammePeriod,
    Region,
    SbiSection,
    Trajectory,
    TrajectoryOrganisation,
    TrajectoryStatusChange,
    User,
    Vacancy,
    VacancyStatusChange,
    vacancy_organisation,
)
from crm.models.trajectories import involvement_key
from crm.models.vacancies import involvement_key as vacancy_involvement_key
from crm.services.audit import audit
from crm.services.clock import AMSTERDAM
from crm.services.passwords import hash_password
from crm.services.search import rebuild_search_text

DEMO_PASSWORD = "werkgevers-demo-2026"  # noqa: S105 - the published demo password
DEMO_DOMAIN = "demo.werkgeverscrm.nl"
DEMO_LOGINS = [
    (f"admin@{DEMO_DOMAIN}", "admin"),
    (f"coordinator@{DEMO_DOMAIN}", "coordinator"),
    (f"accountmanager@{DEMO_DOMAIN}", "accountmanager"),
    (f"partner@{DEMO_DOMAIN}", "partner"),
]
TWENTE = "Leerwerkakkoord Twente"
TECHNIEK = "Sectorakkoord Techniek Oost"
REGION = "Twente"
BATCH_SIZE = 1000
SEED = 2026

# ---------------------------------------------------------------------------------------------
# Organisations, partnerships and users
# ---------------------------------------------------------------------------------------------

# key: (name, kind)
ORGANISATIONS = {
    "uwv": ("UWV Werkbedrijf Twente", "uwv"),
    "enschede": ("Gemeente Enschede", "gemeente"),
    "hengelo": ("Gemeente Hengelo", "gemeente"),
    "roc": ("ROC van Twente", "roc"),
    "sbb": ("SBB regio Oost", "kenniscentrum"),
    "evc": ("EVC Centrum Oost", "evc_aanbieder"),
    "techniek": ("Techniek Nederland Oost", "branche"),
}
PARTNERSHIPS = {
    TWENTE: (
        "regionaal",
        "Regionaal samenwerkingsverband van UWV, gemeenten, ROC en SBB: duale en EVC-trajecten voor "
        "werkzoekenden en werkenden in de arbeidsmarktregio Twente, met één contactpersoon per werkgever.",
        ("uwv", "enschede", "hengelo", "roc", "sbb", "evc"),
    ),
    TECHNIEK: (
        "sectoraal",
        "Sectoraal samenwerkingsverband voor leerwerktrajecten in installatie, metaal en bouw in Oost-Nederland.",
        ("uwv", "roc", "sbb", "evc", "techniek"),
    ),
}
# (local part of the e-mail address, name, role, organisation key, weight as contactpersoon)
USERS = [
    ("admin", "Ingrid Nijhuis", "admin", "enschede", 0),
    ("coordinator", "Marieke Oude Vrielink", "coordinator", "enschede", 5),
    ("accountmanager", "Bas Kleinsman", "accountmanager", "uwv", 25),
    ("partner", "Sanne Wolters", "partner", "sbb", 0),
    ("petra.hofstede", "Petra Hofstede", "coordinator", "uwv", 5),
    ("henk.scholten", "Henk Scholten", "accountmanager", "uwv", 13),
    ("fatma.yilmaz", "Fatma Yılmaz", "accountmanager", "enschede", 13),
    ("wouter.lansink", "Wouter Lansink", "accountmanager", "enschede", 13),
    ("jeroen.mensink", "Jeroen Mensink", "accountmanager", "hengelo", 13),
    ("linda.brinkhuis", "Linda Brinkhuis", "accountmanager", "roc", 13),
    ("ruud.pierik", "Ruud Pierik", "partner", "evc", 0),
    ("anja.morsink", "Anja Morsink", "partner", "techniek", 0),
]

# partnership, period, kind -> target
AMBITIONS = {
    (TWENTE, "2025", "duaal"): 120,
    (TWENTE, "2025", "evc"): 60,
    (TWENTE, "2026", "duaal"): 140,
    (TWENTE, "2026", "evc"): 70,
    (TECHNIEK, "2025", "duaal"): 80,
    (TECHNIEK, "2025", "evc"): 40,
    (TECHNIEK, "2026", "duaal"): 90,
    (TECHNIEK, "2026", "evc"): 45,
}
PERIODS = {"2025": (date(2025, 1, 1), date(2025, 12, 31)), "2026": (date(2026, 1, 1), date(2026, 12, 31))}

# ---------------------------------------------------------------------------------------------
# People and places
# ---------------------------------------------------------------------------------------------

FIRST_NAMES = (
    "Jan", "Gerrit", "Henk", "Bert", "Johan", "Wim", "Erik", "Martijn", "Bas", "Jeroen", "Thijs", "Ruud",
    "Sander", "Niels", "Tim", "Rik", "Koen", "Daan", "Lars", "Stefan", "Marco", "Hans", "Frank", "Dennis",
    "Mehmet", "Mohamed", "Ahmet", "Youssef", "Piotr", "Arjen", "Gert-Jan", "Hendrik", "Jos", "Roy", "Mark",
    "Remco", "Joost", "Wouter", "Luuk", "Bram", "Anja", "Ingrid", "Marieke", "Sanne", "Linda", "Petra",
    "Esther", "Femke", "Ilse", "Lotte", "Manon", "Nicole", "Renate", "Sandra", "Monique", "Judith", "Anouk",
    "Iris", "Eva", "Lisa", "Fleur", "Hanneke", "Wendy", "Kim", "Fatma", "Ayşe", "Samira", "Nora", "Agnieszka",
    "Carla", "Gerda", "Annemiek", "Marloes", "Mirjam", "Yvonne", "Tamara", "Demi", "Romy", "Sophie", "Julia",
)  # fmt: skip
YOUNG_FIRST_NAMES = (
    "Daan", "Sem", "Milan", "Levi", "Luuk", "Jesse", "Thijs", "Finn", "Noah", "Ryan", "Mees", "Stijn", "Ilias",
    "Mert", "Kacper", "Bilal", "Emma", "Julia", "Sara", "Lynn", "Noa", "Zoë", "Fenna", "Isa", "Yara", "Lieke",
    "Amira", "Elif", "Maja", "Nina", "Jasmijn", "Esmee",
)  # fmt: skip
SURNAMES = (
    "ter Horst", "Oude Vrielink", "Nijhuis", "Kleinsman", "Wolters", "Mensink", "Oude Nijhuis", "Hofstede",
    "Pierik", "Rouwhorst", "Lansink", "Kamphuis", "Bosch", "Morsink", "Brinkhuis", "Scholten", "Wissink",
    "Dijkhuis", "Velthuis", "Assink", "Oosterhof", "Boerrigter", "Jansen", "de Vries", "Bakker", "Visser",
    "Smit", "Meijer", "Mulder", "de Boer", "Bos", "Vos", "Peters", "Hendriks", "van Dijk", "Dekker", "Brouwer",
    "Wiegerink", "Groot Koerkamp", "Haverkate", "Leferink", "Nijenhuis", "Olthof", "Reimink", "Slot", "Tijhuis",
    "Vaanholt", "Zwiers", "Geerdink", "Hesselink", "Krabbe", "Lammerink", "Pegge", "Ribbers", "Schuttert",
    "Stokkers", "Eshuis", "Kuipers", "Aalderink", "Gerritsen", "te Brake", "ten Dam", "van der Veen",
    "de Jong", "Siemerink", "Kottink", "Beld", "Borghuis", "Rikkerink", "Brummelhuis", "Yılmaz", "Kaya",
    "Demir", "El Amrani", "Bouzid", "Öztürk", "Nguyen", "Kowalski", "Haddad", "Nowak",
)  # fmt: skip
STREETS = (
    "Kerkstraat", "Molenstraat", "Industrieweg", "Nijverheidsweg", "Handelsweg", "Ambachtsweg", "Europalaan",
    "Stationsstraat", "Grotestraat", "Marktstraat", "Havenstraat", "Twentepoort", "Oldenzaalsestraat",
    "Hengelosestraat", "Deldenerstraat", "Enschedesestraat", "Almelosestraat", "Bornsestraat", "Azelosestraat",
    "Vriezenveenseweg", "Wierdensestraat", "Rijssensestraat", "Goorsestraat", "Haaksbergerstraat",
    "Gronausestraat", "Zuiderval", "Noordermaat", "Westermaatweg", "Binnenhaven", "Marssteden", "Het Wooldrik",
    "Twekkelerweg", "Schipholtstraat", "Esweg", "Bedrijvenweg", "Transportweg", "Energieweg", "Dinkelstraat",
    "Reggesingel", "Textielstraat", "Spinnerijstraat", "Weverstraat", "Bleekweg", "Boekelosestraat",
    "Lonnekerweg", "Postweg", "Dorpsstraat", "Hoofdstraat", "Oranjestraat", "Wilhelminastraat",
)  # fmt: skip
# municipality: weight (roughly inhabitants x 1000) and its towns (name, first and last postcode, area code)
TOWNS = {
    "Enschede": (160, [("Enschede", 7511, 7548, "053")]),
    "Hengelo": (81, [("Hengelo", 7550, 7559, "074")]),
    "Almelo": (73, [("Almelo", 7600, 7609, "0546")]),
    "Rijssen-Holten": (38, [("Rijssen", 7461, 7463, "0548"), ("Holten", 7451, 7451, "0548")]),
    "Hellendoorn": (36, [("Nijverdal", 7441, 7443, "0548"), ("Hellendoorn", 7447, 7447, "0548")]),
    "Hof van Twente": (
        35,
        [("Goor", 7471, 7472, "0547"), ("Delden", 7491, 7491, "074"), ("Markelo", 7475, 7475, "0547")],
    ),
    "Twenterand": (
        34,
        [("Vriezenveen", 7671, 7672, "0546"), ("Vroomshoop", 7681, 7681, "0546"), ("Den Ham", 7683, 7683, "0546")],
    ),
    "Oldenzaal": (32, [("Oldenzaal", 7571, 7577, "0541")]),
    "Dinkelland": (
        26,
        [("Denekamp", 7591, 7591, "0541"), ("Ootmarsum", 7631, 7631, "0541"), ("Weerselo", 7595, 7595, "0541")],
    ),
    "Haaksbergen": (24, [("Haaksbergen", 7481, 7483, "053")]),
    "Wierden": (24, [("Wierden", 7641, 7642, "0546"), ("Enter", 7468, 7468, "0547")]),
    "Borne": (24, [("Borne", 7621, 7623, "074")]),
    "Losser": (22, [("Losser", 7581, 7582, "053"), ("Overdinkel", 7586, 7586, "053")]),
    "Tubbergen": (21, [("Tubbergen", 7651, 7651, "0546"), ("Albergen", 7615, 7615, "0546")]),
}
POSTCODE_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"  # F, I, O, Q, U and Y are not used in Dutch postcodes
COMPANY_WORDS = (
    "De Esch", "Dinkeldal", "Reggestroom", "De Marke", "Het Lutterzand", "Noaberhof", "De Veldkamp", "Zonnehoek",
    "De Kolk", "Twentezicht", "De Bleekerij", "Het Spinnershuis", "Manna", "De Molenhoek", "Het Hooge Veld",
    "De Driehoek", "Het Erve", "Eschmarke",
)  # fmt: skip

# ---------------------------------------------------------------------------------------------
# Sectors: company-name prefixes with their SBI code, sizes, and vacancies they have
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    title: str
    qualification: str
    crebo: str | None
    level: str
    path: str


@dataclass(frozen=True)
class Sector:
    weight: int
    techniek: bool
    prefixes: tuple[tuple[str, str], ...]  # (prefix, SBI code)
    sizes: tuple[int, int, int, int]  # weights of micro, klein, middel, groot
    jobs: tuple[Job, ...]
    erkend: float  # share of erkende leerbedrijven


SECTORS = (
    Sector(
        14,
        True,
        (
            ("Bouwbedrijf", "4120"),
            ("Aannemersbedrijf", "4120"),
            ("Grond- en wegenbouw", "4211"),
            ("Dakdekkersbedrijf", "4391"),
        ),
        (25, 45, 25, 5),
        (
            Job("Leerling-timmerman (BBL)", "Timmerman", "25233", "mbo2", "bbl"),
            Job("Allround metselaar", "Allround metselaar", "25242", "mbo3", "bbl"),
            Job("Werkvoorbereider bouw", "Middenkaderfunctionaris bouw", "25254", "mbo4", "bbl"),
            Job("Leerling-grondwerker", "Medewerker grond-, water- en wegenbouw", "25223", "mbo2", "bbl"),
        ),
        0.55,
    ),
    Sector(
        12,
        True,
        (
            ("Installatietechniek", "4322"),
            ("Installatiebedrijf", "4322"),
            ("Elektrotechniek", "4321"),
            ("Klimaattechniek", "4322"),
        ),
        (20, 45, 30, 5),
        (
            Job(
                "Leerling-monteur elektrotechniek (BBL)",
                "Monteur elektrotechnische installaties",
                "25404",
                "mbo2",
                "bbl",
            ),
            Job("Eerste monteur installatietechniek", "Eerste monteur woning en utiliteit", "25410", "mbo3", "bbl"),
            Job("Servicemonteur warmtepompen", "Eerste monteur service en onderhoud", "25408", "mbo3", "bbl"),
            Job("Leerling-zonnepanelenmonteur", "Monteur duurzame energie", "25406", "mbo2", "bbl"),
        ),
        0.6,
    ),
    Sector(
        12,
        True,
        (
            ("Metaalbewerking", "2562"),
            ("Machinefabriek", "2829"),
            ("Constructiebedrijf", "2511"),
            ("Staalbouw", "2511"),
        ),
        (10, 40, 40, 10),
        (
            Job("Leerling-monteur werktuigbouw (BBL)", "Monteur mechatronica", "25309", "mbo2", "bbl"),
            Job("CNC-verspaner", "Allround CNC-verspaner", "25314", "mbo3", "bbl"),
            Job("Constructiebankwerker", "Constructiewerker", "25305", "mbo2", "bbl"),
            Job("Lasser MIG/MAG", "Lasser", "25302", "mbo2", "bbl"),
            Job("Productiemedewerker metaal", "", None, "geen", "geen"),
        ),
        0.5,
    ),
    Sector(
        6,
        True,
        (("Kunststofverwerking", "2229"), ("Textielfabriek", "1392"), ("Weverij", "1320"), ("Verpakkingen", "1721")),
        (5, 30, 45, 20),
        (
            Job("Procesoperator", "Operator A", "25416", "mbo2", "bbl"),
            Job("Onderhoudsmonteur", "Eerste monteur mechatronica", "25310", "mbo3", "bbl"),
            Job("Productiemedewerker", "", None, "geen", "geen"),
        ),
        0.4,
    ),
    Sector(
        7,
        True,
        (("Autobedrijf", "4511"), ("Garagebedrijf", "4520"), ("Autoschadeherstel", "4520"), ("Bedrijfswagens", "4519")),
        (30, 50, 17, 3),
        (
            Job("Leerling-autotechnicus (BBL)", "Autotechnicus", "25195", "mbo2", "bbl"),
            Job("Eerste autotechnicus", "Eerste autotechnicus", "25196", "mbo3", "bbl"),
            Job("Autoschadehersteller", "Autoschadehersteller", "25199", "mbo2", "bbl"),
        ),
        0.55,
    ),
    Sector(
        12,
        False,
        (("Zorggroep", "8710"), ("Thuiszorg", "8810"), ("Woonzorgcentrum", "8730"), ("Zorgboerderij", "8810")),
        (10, 25, 40, 25),
        (
            Job("Verzorgende IG", "Verzorgende-IG", "25491", "mbo3", "bbl"),
            Job("Helpende zorg en welzijn", "Helpende zorg en welzijn", "25498", "mbo2", "bbl"),
            Job("Mbo-verpleegkundige (BBL)", "Mbo-verpleegkundige", "25655", "mbo4", "bbl"),
            Job("Begeleider gehandicaptenzorg", "Persoonlijk begeleider gehandicaptenzorg", "25476", "mbo4", "bbl"),
        ),
        0.6,
    ),
    Sector(
        4,
        False,
        (("Kinderopvang", "8891"), ("Kinderdagverblijf", "8891")),
        (25, 45, 25, 5),
        (Job("Pedagogisch medewerker kinderopvang", "Pedagogisch medewerker kinderopvang", "25698", "mbo3", "bbl"),),
        0.6,
    ),
    Sector(
        9,
        False,
        (("Transportbedrijf", "4941"), ("Logistiek", "5210"), ("Expeditie", "5229")),
        (15, 40, 35, 10),
        (
            Job("Logistiek medewerker", "Logistiek medewerker", "25362", "mbo2", "bbl"),
            Job("Chauffeur goederenvervoer", "Chauffeur goederenvervoer", "25366", "mbo2", "bbl"),
            Job("Orderpicker", "", None, "geen", "geen"),
        ),
        0.4,
    ),
    Sector(
        8,
        False,
        (("Hotel", "5510"), ("Restaurant", "5610"), ("Brasserie", "5610"), ("Partycentrum", "5630")),
        (35, 45, 17, 3),
        (
            Job("Zelfstandig werkend kok", "Zelfstandig werkend kok", "25181", "mbo3", "bbl"),
            Job("Medewerker bediening", "Gastheer/gastvrouw", "25170", "mbo2", "bbl"),
            Job(
                "Zelfstandig werkend gastheer/gastvrouw",
                "Zelfstandig werkend gastheer/gastvrouw",
                "25171",
                "mbo3",
                "bol",
            ),
        ),
        0.45,
    ),
    Sector(
        7,
        False,
        (("Tuincentrum", "4776"), ("Bouwmarkt", "4752"), ("Fietsenwinkel", "4764"), ("Woonwinkel", "4759")),
        (40, 40, 17, 3),
        (
            Job("Verkoopmedewerker", "Verkoper", "25262", "mbo2", "bbl"),
            Job("Eerste verkoper", "Eerste verkoper", "25263", "mbo3", "bbl"),
        ),
        0.35,
    ),
    Sector(
        4,
        False,
        (("Groothandel", "4690"), ("Technische groothandel", "4674")),
        (15, 45, 30, 10),
        (
            Job("Commercieel medewerker binnendienst", "Commercieel medewerker", "25269", "mbo3", "bol"),
            Job("Logistiek medewerker", "Logistiek medewerker", "25362", "mbo2", "bbl"),
        ),
        0.3,
    ),
    Sector(
        4,
        False,
        (("ICT-diensten", "6202"), ("Softwarebedrijf", "6201")),
        (35, 45, 17, 3),
        (
            Job("Software developer", "Software developer", "25604", "mbo4", "bol"),
            Job("Medewerker ICT-support", "Expert IT systems and devices", "25605", "mbo4", "bbl"),
        ),
        0.3,
    ),
    Sector(
        6,
        False,
        (("Schoonmaakbedrijf", "8121"), ("Hoveniersbedrijf", "8130"), ("Administratiekantoor", "6920")),
        (35, 40, 20, 5),
        (
            Job("Schoonmaker", "Schoonmaakspecialist", "25427", "mbo1", "bbl"),
            Job("Leerling-hovenier", "Hovenier", "25418", "mbo2", "bbl"),
            Job("Administratief medewerker", "Financieel administratief medewerker", "25145", "mbo3", "bbl"),
        ),
        0.35,
    ),
    Sector(
        4,
        False,
        (("Loonbedrijf", "0161"), ("Melkveehouderij", "0141"), ("Boomkwekerij", "0130")),
        (55, 35, 9, 1),
        (
            Job("Medewerker melkveehouderij", "Vakbekwaam medewerker veehouderij", "25479", "mbo3", "bbl"),
            Job("Chauffeur landbouwmechanisatie", "Medewerker teelt", "25464", "mbo2", "bbl"),
        ),
        0.45,
    ),
    Sector(
        5,
        False,
        (("Bakkerij", "1071"), ("Slagerij", "1013"), ("Vleesverwerking", "1011")),
        (40, 35, 20, 5),
        (
            Job("Leerling-bakker", "Bakker", "25155", "mbo2", "bbl"),
            Job("Productiemedewerker levensmiddelen", "Operator voedingsindustrie", "25150", "mbo2", "bbl"),
        ),
        0.45,
    ),
)
SIZES = ("micro", "klein", "middel", "groot")
EVC_QUALIFICATIONS = (
    Job("", "Verzorgende-IG", "25491", "mbo3", "geen"),
    Job("", "Pedagogisch medewerker kinderopvang", "25698", "mbo3", "geen"),
    Job("", "Logistiek medewerker", "25362", "mbo2", "geen"),
    Job("", "Eerste monteur woning en utiliteit", "25410", "mbo3", "geen"),
    Job("", "Allround CNC-verspaner", "25314", "mbo3", "geen"),
    Job("", "Eerste autotechnicus", "25196", "mbo3", "geen"),
    Job("", "Financieel administratief medewerker", "25145", "mbo3", "geen"),
)
EVC_TECHNIEK = {"25410", "25314", "25196"}

PERSON_FUNCTIONS = (
    "Directeur-eigenaar", "HR-adviseur", "Praktijkopleider", "Bedrijfsleider", "P&O-medewerker", "Office manager",
    "Teamleider productie", "Opleidingscoördinator", "Vestigingsmanager", "Werkvoorbereider",
)  # fmt: skip
EMPLOYER_NOTES = (
    "Familiebedrijf, derde generatie. Staat open voor BBL-constructies.",
    "Heeft moeite met het vinden van vakmensen; wil zelf opleiden.",
    "Grote vergrijzing in de werkplaats; denkt na over zij-instromers.",
    "Interesse in EVC voor eigen medewerkers zonder diploma.",
    "Eerder goede ervaring met kandidaten via UWV.",
    "Voorkeur voor contact per e-mail; directeur is lastig telefonisch bereikbaar.",
    "Onderdeel van een landelijke groep; besluiten over opleiden lopen via hoofdkantoor.",
    "Wil graag deelnemen aan de werkgeversbijeenkomst van het leerwerkakkoord.",
)

CHANNELS = (
    ("telefoon", 35),
    ("email", 25),
    ("bezoek", 20),
    ("bijeenkomst", 7),
    ("leerwerkloket", 6),
    ("mobiel_leerwerkloket", 4),
    ("overig", 3),
)
CHANNEL_NAMES = {
    "telefoon": "telefoon",
    "email": "e-mail",
    "bezoek": "bezoek",
    "bijeenkomst": "bijeenkomst",
    "leerwerkloket": "leerwerkloket",
    "mobiel_leerwerkloket": "mobiel leerwerkloket",
    "overig": "overig",
}
CONTACT_TEXTS = {
    "telefoon": (
        (
            "Gebeld met {person} over BBL-plekken voor het nieuwe schooljaar.",
            "Heeft twee plekken; stuurt functie-eisen.",
        ),
        ("{person} teruggebeld over de subsidieregeling praktijkleren.", "Uitleg gegeven; aanvraag volgt na de zomer."),
        ("Telefonisch contact met {person} over een zij-instromer.", "Wil een kennismakingsgesprek met de kandidaat."),
        ("Kort gebeld om de samenwerking te evalueren.", "Tevreden; geen nieuwe vragen op dit moment."),
        ("Met {person} gesproken over uitbreiding van het team.", "Verwacht in het voorjaar nieuwe vacatures."),
        (
            "{person} gebeld over de voortgang van de leerling op de werkvloer.",
            "Gaat goed; praktijkopleider is tevreden.",
        ),
        ("Niet bereikt; voicemail ingesproken.", ""),
    ),
    "email": (
        (
            "Informatie over EVC-trajecten gemaild aan {person}.",
            "Bekijkt met de leidinggevenden wie in aanmerking komt.",
        ),
        ("Vacaturetekst ontvangen van {person}.", "Doorgezet naar UWV en ROC."),
        ("Uitnodiging werkgeversbijeenkomst leerwerkakkoord verstuurd.", ""),
        ("Mail van {person} met vragen over erkenning als leerbedrijf.", "Doorverwezen naar SBB."),
        ("Overzicht met geschikte kandidaten gemaild.", "Reactie binnen een week toegezegd."),
    ),
    "bezoek": (
        ("Bedrijfsbezoek bij {person}: rondleiding door de werkplaats.", "Ruimte voor twee BBL'ers vanaf september."),
        ("Kennismakingsbezoek samen met het ROC.", "Werkgever wil praktijkopleider laten trainen."),
        ("Bezoek met {person} over de inzet van een jobcoach.", "Afgesproken om maandelijks te evalueren."),
        (
            "Werkplekbezoek bij de leerling en praktijkopleider.",
            "Voortgang besproken; volgende evaluatie over drie maanden.",
        ),
    ),
    "bijeenkomst": (
        ("{person} gesproken op de werkgeversbijeenkomst Techniek in Hengelo.", "Wil meer weten over zij-instroom."),
        ("Ontmoeting op het netwerkontbijt van het leerwerkakkoord.", "Afspraak voor bedrijfsbezoek gemaakt."),
    ),
    "leerwerkloket": (
        (
            "{person} kwam langs bij het leerwerkloket met vragen over omscholing.",
            "Informatie over STAP en EVC meegegeven.",
        ),
        ("Gesprek aan het leerwerkloket over een BBL-vacature.", "Vacature-intake ingepland."),
    ),
    "mobiel_leerwerkloket": (
        (
            "Mobiel leerwerkloket op het bedrijventerrein: gesprek met {person}.",
            "Twee medewerkers willen een EVC-traject.",
        ),
        ("Bus van het mobiel leerwerkloket bij de vestiging gestaan.", "Vijf medewerkers gesproken over scholing."),
    ),
    "overig": (("Via LinkedIn contact gehad met {person}.", "Interesse in een kennismaking."),),
}
INTAKE_TEXT = ("Vacature-intake '{title}' met {person}.", "Functie-eisen en begeleiding doorgenomen; intake compleet.")
FOLLOW_UP_SUBJECTS = (
    "Terugbellen over BBL-plek",
    "Afspraak bedrijfsbezoek inplannen",
    "Informatie EVC-traject mailen",
    "Erkenning leerbedrijf nagaan bij SBB",
    "Uitnodiging werkgeversbijeenkomst sturen",
    "Subsidieregeling praktijkleren toelichten",
    "Evaluatie met praktijkopleider plannen",
    "Kandidatenprofiel bespreken",
    "Vacaturetekst nabellen",
    "Offerte maatwerkopleiding navragen",
)
VACANCY_REQUIREMENTS = (
    "Rijbewijs B gewenst. Motivatie belangrijker dan ervaring.",
    "Goede beheersing van de Nederlandse taal; VCA wordt tijdens de opleiding gehaald.",
    "Bereid om in ploegendienst te werken.",
    "Affiniteit met techniek; eigen vervoer in verband met wisselende locaties.",
    "Ervaring in de sector is een pré, geen vereiste.",
    "",
)
VACANCY_PATHS = {
    "nieuw": ("nieuw",),
    "intake_gedaan": ("nieuw", "intake_gedaan"),
    "kandidaten_voorgesteld": ("nieuw", "intake_gedaan", "kandidaten_voorgesteld"),
    "vervuld": ("nieuw", "intake_gedaan", "kandidaten_voorgesteld", "vervuld"),
    "ingetrokken": ("nieuw", "intake_gedaan", "ingetrokken"),
    "verlopen": ("nieuw", "intake_gedaan", "kandidaten_voorgesteld", "verlopen"),
}
VACANCY_STATUS_WEIGHTS = (
    ("nieuw", 10),
    ("intake_gedaan", 15),
    ("kandidaten_voorgesteld", 20),
    ("vervuld", 30),
    ("ingetrokken", 10),
    ("verlopen", 15),
)
VACANCY_REASONS = {
    "ingetrokken": "Werkgever heeft de functie intern ingevuld.",
    "verlopen": "Sluitingsdatum verstreken zonder geschikte kandidaat.",
    "vervuld": "Kandidaat aangenomen.",
}
OPEN_VACANCY = {"nieuw", "intake_gedaan", "kandidaten_voorgesteld"}

CONSENT_PURPOSE = "Begeleiding naar een leerwerktraject binnen het samenwerkingsverband"
# doelgroep: weight, birth years, share with startkwalificatie, referring organisations (key, weight), share duaal
DOELGROEPEN = {
    "jongere_zonder_startkwalificatie": (25, (2002, 2008), 0.0, (("enschede", 40), ("hengelo", 25), ("roc", 35)), 0.9),
    "werkzoekende": (35, (1966, 2001), 0.6, (("uwv", 55), ("enschede", 30), ("hengelo", 15)), 0.7),
    "met_werkloosheid_bedreigd": (15, (1966, 1998), 0.5, (("uwv", 80), ("techniek", 20)), 0.5),
    "werkende": (25, (1968, 2000), 0.5, (("evc", 40), ("techniek", 30), ("uwv", 30)), 0.25),
}  # fmt: skip
TRAJECTORY_TARGETS = (("aangemeld", 8), ("intake", 10), ("gestart", 42), ("afgerond", 25), ("uitgevallen", 15))
REGELINGEN_DUAAL = (
    ("Regionaal Leerwerkakkoord", 50),
    ("Subsidieregeling praktijkleren", 35),
    ("Sectorplan Techniek", 15),
)
REGELINGEN_EVC = (("Regionaal Leerwerkakkoord", 55), ("STAP", 25), ("Ontwikkeladvies en EVC-budget", 20))
DROPOUTS = (
    ("ander_werk", "Heeft een vaste baan buiten de sector gevonden."),
    ("werk_beeindigd", "Arbeidsovereenkomst niet verlengd na de proeftijd."),
    ("opleiding_past_niet", "Het theoriedeel bleek te zwaar; gekeken wordt naar een lager niveau."),
    ("gezondheid", "Stopt om gezondheidsredenen."),
    ("persoonlijke_omstandigheden", "Stopt vanwege de thuissituatie."),
    ("verhuisd", "Verhuisd buiten de regio."),
    ("overig", "Niet meer bereikbaar voor de begeleider."),
)

DROPOUTS_BEFORE_START = tuple(d for d in DROPOUTS if d[0] not in ("werk_beeindigd", "gezondheid"))

# ---------------------------------------------------------------------------------------------


def seed(employers: int = 300, if_empty: bool = False, echo: Callable[[str], Any] = print) -> str:
    """Build the demo partnership with ``employers`` employers; flushes, never commits.

    Does nothing when the demo partnership already exists, or (``if_empty``) when there are users.
    """
    if db.session.scalar(select(Partnership.id).where(Partnership.name == TWENTE)) is not None:
        return f"Demo data already present (partnership '{TWENTE}' exists); nothing created."
    if if_empty and db.session.scalar(select(User.id).limit(1)) is not None:
        return "The database already has users; demo data not created (--if-empty)."
    return _Seeder(max(0, int(employers)), echo).run()


class _Picker:
    """A weighted choice with precomputed cumulative weights (one random() per pick)."""

    def __init__(self, rng: random.Random, items: Sequence[Any], weights: Sequence[float]):
        self.rng = rng
        self.items = list(items)
        self.cum = list(itertools.accumulate(weights))

    def __call__(self) -> Any:
        return self.items[bisect.bisect_right(self.cum, self.rng.random() * self.cum[-1])]


def _pairs(rng: random.Random, pairs: Sequence[tuple[Any, float]]) -> _Picker:
    return _Picker(rng, [p[0] for p in pairs], [p[1] for p in pairs])


def _slug(text: str, sep: str = "") -> str:
    ascii_text = unicodedata.normalize("NFKD", text.replace("ı", "i")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", sep, ascii_text.lower()).strip(sep)


def _capitalise(surname: str) -> str:
    return surname[:1].upper() + surname[1:]


class _Seeder:
    def __init__(self, employers: int, echo: Callable[[str], Any]):
        self.total = employers
        self.echo = echo
        self.rng = random.Random(SEED)
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.today = self.now.astimezone(AMSTERDAM).date()
        self.open_follow_ups: dict[int, int] = {}  # owner -> explicit open follow-ups planned
        self.counts: dict[str, int] = dict.fromkeys(
            (
                "assignments",
                "employer_contacts",
                "contacts",
                "follow_ups",
                "vacancies",
                "vacancy_status_changes",
                "participants",
                "trajectories",
                "trajectory_status_changes",
                "notifications",
                "users",
                "organisations",
                "partnerships",
                "ambitions",
            ),
            0,
        )

    # -- time -----------------------------------------------------------------------------------

    def moment(self, day: date, not_before: datetime | None = None) -> datetime:
        """A moment during office hours (Amsterdam) on the working day at or before ``day``,
        never in the future and never before ``not_before``."""
        rng = self.rng
        for _ in range(10):
            while day.weekday() >= 5:
                day -= timedelta(days=1)
            minutes = rng.randint(8 * 60 + 15, 17 * 60)
            local = datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=AMSTERDAM)
            value = local.astimezone(UTC)
            if value <= self.now:
                break
            day -= timedelta(days=1)
        else:  # pragma: no cover - only when "now" is just after midnight on a Monday etc.
            value = self.now - timedelta(hours=1)
        if not_before is not None and value <= not_before:
            value = min(not_before + timedelta(minutes=rng.randint(10, 240)), self.now)
        return value

    def local_day(self, value: datetime) -> date:
        return value.astimezone(AMSTERDAM).date()

    def recent_day(self, since: datetime, skew: float = 1.8) -> date:
        """A day between ``since`` and today, more often recent (skew > 1) than long ago."""
        span = (self.today - self.local_day(since)).days
        if span <= 0:
            return self.today
        return self.today - timedelta(days=int(span * self.rng.random() ** skew))

    # -- the run --------------------------------------------------------------------------------

    def run(self) -> str:
        self.build_organisations()
        self.build_users()
        self.build_periods_and_ambitions()
        self.prepare_generators()
        self.build_employers()
        self.build_participants_and_trajectories()
        self.build_notifications()
        report = self.report()
        audit(
            None,
            "demo_seeded",
            self.partnerships[TWENTE],
            summary=report.splitlines()[0].removeprefix("Demo data created: ")[:1000],
        )
        db.session.flush()
        return report

    def build_organisations(self) -> None:
        region = db.session.scalar(select(Region).where(Region.name == REGION))
        if region is None:
            raise RuntimeError(
                f"Region '{REGION}' not found: load the reference data first (flask crm load-reference)."
            )
        self.region = region
        self.orgs: dict[str, Organisation] = {}
        for key, (name, kind) in ORGANISATIONS.items():
            org = db.session.scalar(select(Organisation).where(Organisation.name == name))
            if org is None:
                org = Organisation(name=name, kind=kind)
                db.session.add(org)
                self.counts["organisations"] += 1
            self.orgs[key] = org
        self.partnerships: dict[str, Partnership] = {}
        for name, (scope, description, members) in PARTNERSHIPS.items():
            partnership = db.session.scalar(select(Partnership).where(Partnership.name == name))
            if partnership is None:
                partnership = Partnership(name=name, scope=scope, description=description)
                db.session.add(partnership)
                self.counts["partnerships"] += 1
            if scope == "regionaal":
                partnership.region = region
            for key in members:
                if self.orgs[key] not in partnership.members:
                    partnership.members.append(self.orgs[key])
            self.partnerships[name] = partnership
        db.session.flush()
        self.org_ids = {key: org.id for key, org in self.orgs.items()}

    def build_users(self) -> None:
        password_hash: str | None = None
        self.users: list[User] = []
        self.cp_weights: list[int] = []
        self.user_by_login: dict[str, User] = {}
        rng = self.rng
        for local_part, name, role, org_key, weight in USERS:
            email = f"{local_part}@{DEMO_DOMAIN}"
            user = db.session.scalar(select(User).where(func.lower(User.email) == email))
            if user is None:
                if password_hash is None:
                    password_hash = hash_password(DEMO_PASSWORD)  # slow on purpose: once
                user = User(
                    email=email,
                    name=name,
                    role=role,
                    organisation=self.orgs[org_key],
                    password_hash=password_hash,
                    phone=f"06 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
                    created_at=self.now - timedelta(days=800),
                    password_changed_at=self.now - timedelta(days=800),
                )
                db.session.add(user)
                self.counts["users"] += 1
            self.users.append(user)
            self.cp_weights.append(weight)
            self.user_by_login[local_part] = user
        db.session.flush()
        self.user_org = {u.id: u.organisation_id for u in self.users}
        self.user_role = {u.id: u.role for u in self.users}
        self.user_name = {u.id: u.name for u in self.users}
        self.demo_am = self.user_by_login["accountmanager"]
        self.coordinator_id = self.user_by_login["coordinator"].id
        self.non_admin_ids = [u.id for u in self.users if u.role != "admin"]
        self.users_by_org: dict[int, list[int]] = {}
        for user in self.users:
            if user.role != "admin":
                self.users_by_org.setdefault(user.organisation_id, []).append(user.id)

    def build_periods_and_ambitions(self) -> None:
        self.period_ids: dict[int, int] = {}
        periods: dict[str, ProgrammePeriod] = {}
        for name, (starts_on, ends_on) in PERIODS.items():
            period = db.session.scalar(select(ProgrammePeriod).where(ProgrammePeriod.name == name))
            if period is None:
                period = ProgrammePeriod(name=name, starts_on=starts_on, ends_on=ends_on)
                db.session.add(period)
            periods[name] = period
        db.session.flush()
        for name, period in periods.items():
            self.period_ids[int(name)] = period.id
        for (partnership_name, period_name, kind), target in AMBITIONS.items():
            partnership = self.partnerships[partnership_name]
            period = periods[period_name]
            exists = db.session.scalar(
                select(Ambition.id).where(
                    Ambition.partnership_id == partnership.id, Ambition.period_id == period.id, Ambition.kind == kind
                )
            )
            if exists is None:
                db.session.add(Ambition(partnership=partnership, period=period, kind=kind, target=target))
                self.counts["ambitions"] += 1
        db.session.flush()

    def prepare_generators(self) -> None:
        rng = self.rng
        twente = db.session.execute(
            select(Municipality.id, Municipality.name)
            .join(Region, Municipality.region_id == Region.id)
            .where(Region.name == REGION, Municipality.active.is_(True))
            .order_by(Municipality.name)
        ).all()
        if not twente:
            raise RuntimeError(f"No municipalities in region '{REGION}': load the reference data first.")
        self.municipality_ids = [row.id for row in twente]
        places = []  # (municipality id, town, first postcode, last postcode, area code), weight
        for row in twente:
            weight, towns = TOWNS.get(row.name, (15, [(row.name, 7500, 7699, "053")]))
            for town in towns:
                places.append(((row.id, *town), weight / len(towns)))
        self.pick_place = _pairs(rng, places)
        self.pick_sector = _Picker(rng, SECTORS, [s.weight for s in SECTORS])
        self.pick_channel = _pairs(rng, CHANNELS)
        self.pick_contacts = _Picker(rng, range(13), (8, 12, 14, 14, 12, 10, 8, 6, 5, 4, 3, 2, 2))
        self.pick_status = _pairs(rng, (("prospect", 25), ("actief", 65), ("inactief", 10)))
        cps = [(u.id, w) for u, w in zip(self.users, self.cp_weights, strict=True) if w]
        self.pick_cp = _pairs(rng, cps)
        self.am_ids = [u.id for u in self.users if u.role == "accountmanager"]
        self.pick_vacancy_status = _pairs(rng, VACANCY_STATUS_WEIGHTS)
        self.sections = sorted(
            db.session.execute(select(SbiSection.division_from, SbiSection.division_to, SbiSection.code))
        )
        existing_kvk = db.session.scalar(select(func.count(Employer.id)).where(Employer.kvk_number.is_not(None)))
        self.existing_kvk = set(db.session.scalars(select(Employer.kvk_number))) if existing_kvk else set()
        # unique KvK numbers: a counter with a random start and random gaps (always increasing)
        self.kvk_next = rng.randint(10_000_000, 80_000_000)
        self.kvk_gap = max(1, min(97, (99_999_999 - self.kvk_next) // max(self.total, 1) - 1))

    def sbi_section(self, code: str) -> str | None:
        division = int(code[:2])
        for low, high, section in self.sections:
            if low <= division <= high:
                return section
        return None

    def next_kvk(self) -> str:
        while True:
            self.kvk_next += self.rng.randint(1, self.kvk_gap)
            value = f"{self.kvk_next:08d}"
            if value not in self.existing_kvk:
                return value

    # -- names ----------------------------------------------------------------------------------

    def person_name(self, young: bool = False) -> tuple[str, str]:
        first = self.rng.choice(YOUNG_FIRST_NAMES if young else FIRST_NAMES)
        return first, self.rng.choice(SURNAMES)

    def company_name(self, sector: Sector, prefix: str, town: str) -> str:
        rng = self.rng
        style = rng.random()
        surname = _capitalise(rng.choice(SURNAMES))
        if sector.prefixes[0][0] in ("Zorggroep", "Kinderopvang") and style < 0.6:
            base = f"{prefix} {rng.choice(COMPANY_WORDS)}"
        elif style < 0.55:
            base = f"{prefix} {surname}"
        elif style < 0.75:
            base = f"{prefix} {rng.choice((town, town, 'Twente', 'Oost'))}"
        elif style < 0.9:
            base = f"{surname} {prefix}"
        else:
            base = f"{prefix} {surname} & Zn."
        suffix = rng.random()
        if suffix < 0.45:
            return f"{base} B.V."
        if suffix < 0.52:
            return f"{base} V.O.F."
        return base

    def mobile(self) -> str:
        return f"06 {self.rng.randint(1000, 9999)} {self.rng.randint(1000, 9999)}"

    def landline(self, area: str) -> str:
        rng = self.rng
        if len(area) == 3:
            return f"{area} {rng.randint(200, 899)} {rng.randint(0, 9999):04d}"
        return f"{area} {rng.randint(20, 89)} {rng.randint(10, 99)} {rng.randint(10, 99)}"

    # -- employers ------------------------------------------------------------------------------

    def build_employers(self) -> None:
        self.leerbedrijven: list[tuple[int, date, bool, int]] = []  # id, created day, techniek, contactpersoon
        self.bbl_vacancies: dict[int, list[tuple[int, Job, date]]] = {}
        self.all_employers: list[tuple[int, int]] = []  # id, contactpersoon
        self.employer_count = 0
        done = 0
        while done < self.total:
            size = min(BATCH_SIZE, self.total - done)
            plans = [self.plan_employer() for _ in range(size)]
            self.insert_employers(plans)
            done += size
            self.echo(f"  {done}/{self.total} werkgevers")
        self.employer_count = done

    def plan_employer(self) -> dict:
        rng = self.rng
        sector: Sector = self.pick_sector()
        prefix, sbi = rng.choice(sector.prefixes)
        municipality_id, town, pc_low, pc_high, area = self.pick_place()
        status = self.pick_status()
        if status == "prospect":
            created_day = self.today - timedelta(days=rng.randint(7, 300))
        else:
            created_day = self.today - timedelta(days=rng.randint(60, 3 * 365))
        created_at = self.moment(created_day)
        cp = self.pick_cp()
        name = self.company_name(sector, prefix, town)
        domain = _slug(re.sub(r" (B\.V\.|V\.O\.F\.|& Zn\.)$", "", name), "-") + ".nl"
        size = SIZES[bisect.bisect_right(list(itertools.accumulate(sector.sizes)), rng.random() * 100)]
        erkend = status != "prospect" and rng.random() < sector.erkend * 0.8 + 0.05
        row = {
            "name": name,
            "kvk_number": self.next_kvk(),
            "sbi_code": sbi,
            "sbi_section_code": self.sbi_section(sbi),
            "size": size,
            "street": rng.choice(STREETS),
            "house_number": str(rng.randint(1, 240)) + rng.choice(("",) * 8 + ("a", "b", "-1")),
            "postcode": f"{rng.randint(pc_low, pc_high)} {self.postcode_letters()}",
            "city": town,
            "municipality_id": municipality_id,
            "phone": self.landline(area),
            "email": f"info@{domain}",
            "website": f"https://www.{domain}",
            "erkend_leerbedrijf": erkend,
            "status": status,
            "notes": rng.choice(EMPLOYER_NOTES) if rng.random() < 0.3 else "",
            "contactpersoon_id": cp,
            "created_at": created_at,
        }
        plan: dict[str, Any] = {"row": row, "sector": sector, "erkend": erkend}

        # contactpersoon history: ~10% had an earlier contactpersoon
        handover_at = None
        previous = None
        span = (self.now - created_at).days
        if span > 60 and rng.random() < 0.1:
            previous = rng.choice([u for u in self.am_ids if u != cp])
            handover_at = self.moment(self.today - timedelta(days=rng.randint(7, span - 30)), created_at)
        assignments = []
        if previous is not None:
            reason = rng.choice(
                ("vertrek van de accountmanager", "herverdeling van de portefeuille", "langdurige afwezigheid")
            )
            assignments.append(
                {
                    "user_id": previous,
                    "started_at": created_at,
                    "ended_at": handover_at,
                    "note": f"Overdracht wegens {reason}.",
                    "assigned_by_id": self.coordinator_id,
                }
            )
        assignments.append(
            {
                "user_id": cp,
                "started_at": handover_at or created_at,
                "ended_at": None,
                "note": f"Overgenomen van {self.user_name[previous]}" if previous else "Eerste contactpersoon",
                "assigned_by_id": self.coordinator_id,
            }
        )
        plan["assignments"] = assignments

        def cp_at(moment: datetime) -> int:
            return previous if previous is not None and moment < handover_at else cp

        # the employer's own people
        people = []
        for index in range(rng.choice((1, 1, 2, 2, 2, 3))):
            first, last = self.person_name()
            function = (
                PERSON_FUNCTIONS[0] if index == 0 and size in ("micro", "klein") else rng.choice(PERSON_FUNCTIONS)
            )
            people.append(
                {
                    "name": f"{first} {last}",
                    "function": function,
                    "phone": self.mobile() if rng.random() < 0.5 else self.landline(area),
                    "email": f"{_slug(first[0])}.{_slug(last)}@{domain}",
                    "is_primary": index == 0,
                    "created_at": created_at,
                    "updated_at": created_at,
                }
            )
        plan["people"] = people

        # contact moments, more often recent
        contacts = []
        count = self.pick_contacts()
        if status == "prospect":
            count = min(count, 3)
        elif status == "inactief":
            count = count // 2
        since = max(created_at, self.now - timedelta(days=730))
        for _ in range(count):
            occurred = self.moment(self.recent_day(since, 0.7 if status == "inactief" else 1.4), since)
            contacts.append(self.plan_contact(occurred, cp_at(occurred), people))

        # vacancies (about one per three employers)
        vacancies = []
        chance = {"actief": 0.42, "prospect": 0.15, "inactief": 0.08}[status]
        while rng.random() < chance and len(vacancies) < 3:
            vacancies.append(
                self.plan_vacancy(sector, created_at, cp_at, municipality_id, people, contacts, len(vacancies))
            )
            chance = 0.12
        plan["vacancies"] = vacancies
        plan["contacts"] = contacts
        row["last_contact_at"] = max((c["row"]["occurred_at"] for c in contacts), default=None)
        row["updated_at"] = row["last_contact_at"] or created_at

        # follow-ups: done ones after contacts, open ones for the contactpersoon
        follow_ups = []
        for index, contact in enumerate(contacts):
            if rng.random() < 0.2:
                follow_ups.append(self.plan_contact_follow_up(contact["row"], index))
        if status != "inactief" and rng.random() < (0.3 if status == "prospect" else 0.2):
            follow_ups.append(self.plan_open_follow_up(cp, created_at, rng.choice(FOLLOW_UP_SUBJECTS), None))
        for index, vacancy in enumerate(vacancies):
            if vacancy["row"]["status"] in OPEN_VACANCY and rng.random() < 0.4:
                subject = f"Kandidaten voorstellen: {vacancy['row']['title']}"
                follow_ups.append(self.plan_open_follow_up(cp, vacancy["row"]["created_at"], subject, index))
        plan["follow_ups"] = follow_ups
        return plan

    def postcode_letters(self) -> str:
        while True:
            letters = self.rng.choice(POSTCODE_LETTERS) + self.rng.choice(POSTCODE_LETTERS)
            if letters not in ("SA", "SD", "SS"):
                return letters

    def plan_contact(self, occurred: datetime, cp: int, people: list[dict], intake: str | None = None) -> dict:
        """A contact moment; ``intake`` (a vacancy title) makes it the contactpersoon's vacancy intake."""
        rng = self.rng
        if intake is None:
            author = cp if rng.random() < 0.6 else rng.choice(self.non_admin_ids)
            channel = self.pick_channel()
            summary, outcome = rng.choice(CONTACT_TEXTS[channel])
            person = rng.randrange(len(people)) if rng.random() < 0.75 else None
        else:
            author, channel, person = cp, "bezoek", 0
            summary, outcome = INTAKE_TEXT[0].replace("{title}", intake), INTAKE_TEXT[1]
        name = people[person]["name"] if person is not None else "de werkgever"
        summary = summary.replace("{person}", name)
        return {
            "row": {
                "author_id": author,
                "organisation_id": self.user_org[author],
                "occurred_at": occurred,
                "channel": channel,
                "summary": summary,
                "outcome": outcome,
                "visibility": "gedeeld" if rng.random() < 0.85 else "intern",
                "created_at": occurred,
                "updated_at": occurred,
            },
            "person": person,
            "vacancy": None,
        }

    def plan_contact_follow_up(self, contact: dict, contact_index: int) -> dict:
        rng = self.rng
        occurred = contact["occurred_at"]
        due = self.local_day(occurred) + timedelta(days=rng.randint(2, 14))
        status, done_at = "open", None
        if due < self.today - timedelta(days=30) or (due < self.today and rng.random() < 0.8):
            status = "done" if rng.random() < 0.93 else "cancelled"
            done_at = self.moment(due + timedelta(days=rng.randint(-2, 3)), occurred)
        return {
            "row": {
                "owner_id": contact["author_id"],
                "created_by_id": contact["author_id"],
                "subject": rng.choice(FOLLOW_UP_SUBJECTS),
                "due_date": due,
                "status": status,
                "done_at": done_at,
                "vacancy_id": None,
                "trajectory_id": None,
                "created_at": occurred,
                "updated_at": done_at or occurred,
            },
            "contact": contact_index,
            "vacancy": None,
        }

    def plan_open_follow_up(self, owner: int, not_before: datetime, subject: str, vacancy: int | None) -> dict:
        """An open follow-up: overdue, due today or within three weeks. Everyone's first three
        are one of each, so every worklist shows all three groups."""
        rng = self.rng
        roll = rng.random()
        seen = self.open_follow_ups.get(owner, 0)
        self.open_follow_ups[owner] = seen + 1
        if seen < 3:
            roll = (0.9, 0.1, 0.3)[seen]
        if roll < 0.25:
            due = self.today - timedelta(days=rng.randint(1, 21))
        elif roll < 0.4:
            due = self.today
        else:
            due = self.today + timedelta(days=rng.randint(1, 21))
        created = self.moment(min(due, self.today) - timedelta(days=rng.randint(1, 14)), not_before)
        return {
            "row": {
                "owner_id": owner,
                "created_by_id": owner,
                "subject": subject,
                "due_date": due,
                "status": "open",
                "done_at": None,
                "vacancy_id": None,
                "trajectory_id": None,
                "created_at": created,
                "updated_at": created,
            },
            "contact": None,
            "vacancy": vacancy,
        }

    def plan_vacancy(
        self,
        sector: Sector,
        employer_created: datetime,
        cp_at: Callable[[datetime], int],
        municipality_id: int,
        people: list[dict],
        contacts: list[dict],
        index: int,
    ) -> dict:
        rng = self.rng
        job: Job = rng.choice(sector.jobs)
        since = max(employer_created, self.now - timedelta(days=540))
        created = self.moment(self.recent_day(since, 1.3), since)
        age = (self.now - created).days
        if age <= 21:
            target = rng.choice(("nieuw", "intake_gedaan"))
        else:
            target = self.pick_vacancy_status()
            if age > 150 and target in OPEN_VACANCY:  # old vacancies are closed by now
                target = rng.choice(("vervuld", "vervuld", "ingetrokken", "verlopen"))
        path = VACANCY_PATHS[target]
        if target == "ingetrokken" and rng.random() < 0.4:
            path = ("nieuw", "ingetrokken")
        horizon = min(self.now, created + timedelta(days=150))
        offsets = sorted(rng.random() for _ in range(len(path) - 1))
        moments = [created]
        for offset in offsets:
            day = self.local_day(created + (horizon - created) * offset)
            moments.append(self.moment(day, moments[-1]))
        changes = []
        previous = None
        for status, moment in zip(path, moments, strict=True):
            changes.append(
                {
                    "from_status": previous,
                    "to_status": status,
                    "changed_by_id": cp_at(moment),
                    "changed_at": moment,
                    "reason": VACANCY_REASONS.get(status, ""),
                }
            )
            previous = status
            if status == "intake_gedaan":
                contact = self.plan_contact(moment, cp_at(moment), people, intake=job.title)
                contact["vacancy"] = index
                contacts.append(contact)
        if target in OPEN_VACANCY:
            closing = self.today + timedelta(days=rng.randint(7, 60))
        elif target == "verlopen":
            closing = self.local_day(moments[-1]) - timedelta(days=1)
        else:
            closing = self.local_day(created) + timedelta(days=rng.randint(30, 90))
        september = date(self.local_day(created).year, 9, 1)
        start = (
            september if september > self.local_day(created) + timedelta(days=30) else date(september.year + 1, 2, 1)
        )
        orgs = {self.user_org[cp_at(created)], self.org_ids["uwv"] if rng.random() < 0.5 else self.org_ids["enschede"]}
        if job.path in ("bbl", "bol"):
            orgs.add(self.org_ids["roc"])
            if rng.random() < 0.4:
                orgs.add(self.org_ids["sbb"])
        if sector.techniek and rng.random() < 0.3:
            orgs.add(self.org_ids["techniek"])
        row = {
            "title": job.title,
            "positions": rng.choice((1, 1, 1, 2, 2, 3)),
            "hours_per_week": rng.choice((24, 32, 36, 38, 40)),
            "education_level": job.level,
            "qualification_name": job.qualification,
            "crebo": job.crebo,
            "learning_path": job.path,
            "start_date": start,
            "closing_date": closing,
            "municipality_id": municipality_id,
            "requirements": rng.choice(VACANCY_REQUIREMENTS),
            "erkend_for_qualification": (rng.random() < 0.8) if job.path == "bbl" else None,
            "status": target,
            "created_by_id": cp_at(created),
            "created_at": created,
            "updated_at": moments[-1],
        }
        row["involvement_key"] = vacancy_involvement_key(orgs)  # bulk inserts bypass the ORM flush hook
        return {"row": row, "changes": changes, "orgs": sorted(orgs), "job": job}

    def insert_employers(self, plans: list[dict]) -> None:
        employer_ids = _insert_with_ids(Employer, [p["row"] for p in plans])
        people_rows, assignment_rows, vacancy_rows = [], [], []
        for plan, employer_id in zip(plans, employer_ids, strict=True):
            plan["id"] = employer_id
            for row in plan["people"]:
                row["employer_id"] = employer_id
                people_rows.append(row)
            for row in plan["assignments"]:
                row["employer_id"] = employer_id
                assignment_rows.append(row)
            for vacancy in plan["vacancies"]:
                vacancy["row"]["employer_id"] = employer_id
                vacancy_rows.append(vacancy["row"])
        people_ids = iter(_insert_with_ids(EmployerContact, people_rows))
        _insert(ContactpersoonAssignment, assignment_rows)
        vacancy_ids = iter(_insert_with_ids(Vacancy, vacancy_rows))

        change_rows, link_rows, contact_rows = [], [], []
        for plan in plans:
            plan["people_ids"] = [next(people_ids) for _ in plan["people"]]
            plan["vacancy_ids"] = []
            for vacancy in plan["vacancies"]:
                vacancy_id = next(vacancy_ids)
                plan["vacancy_ids"].append(vacancy_id)
                for row in vacancy["changes"]:
                    row["vacancy_id"] = vacancy_id
                    change_rows.append(row)
                link_rows.extend({"vacancy_id": vacancy_id, "organisation_id": org} for org in vacancy["orgs"])
            for contact in plan["contacts"]:
                row = contact["row"]
                row["employer_id"] = plan["id"]
                row["employer_contact_id"] = (
                    None if contact["person"] is None else plan["people_ids"][contact["person"]]
                )
                row["vacancy_id"] = None if contact["vacancy"] is None else plan["vacancy_ids"][contact["vacancy"]]
                contact_rows.append(row)
        _insert(VacancyStatusChange, change_rows)
        _insert(vacancy_organisation, link_rows)
        contact_ids = iter(_insert_with_ids(Contact, contact_rows))

        follow_up_rows = []
        for plan in plans:
            plan_contact_ids = [next(contact_ids) for _ in plan["contacts"]]
            for follow_up in plan["follow_ups"]:
                row = follow_up["row"]
                row["employer_id"] = plan["id"]
                row["contact_id"] = None if follow_up["contact"] is None else plan_contact_ids[follow_up["contact"]]
                row["vacancy_id"] = None if follow_up["vacancy"] is None else plan["vacancy_ids"][follow_up["vacancy"]]
                follow_up_rows.append(row)
            # remembered for trajectories (small tuples only)
            row = plan["row"]
            self.all_employers.append((plan["id"], row["contactpersoon_id"]))
            if plan["erkend"] and row["status"] == "actief":
                self.leerbedrijven.append(
                    (plan["id"], self.local_day(row["created_at"]), plan["sector"].techniek, row["contactpersoon_id"])
                )
                for vacancy, vacancy_id in zip(plan["vacancies"], plan["vacancy_ids"], strict=True):
                    if vacancy["job"].path == "bbl":
                        self.bbl_vacancies.setdefault(plan["id"], []).append(
                            (vacancy_id, vacancy["job"], self.local_day(vacancy["row"]["created_at"]))
                        )
        _insert(FollowUp, follow_up_rows)
        rebuild_search_text(employer_ids)  # name, KvK, place and people, for the employer search

        self.counts["employer_contacts"] += len(people_rows)
        self.counts["assignments"] += len(assignment_rows)
        self.counts["vacancies"] += len(vacancy_rows)
        self.counts["vacancy_status_changes"] += len(change_rows)
        self.counts["contacts"] += len(contact_rows)
        self.counts["follow_ups"] += len(follow_up_rows)

    # -- participants and trajectories ------------------------------------------------------------

    def build_participants_and_trajectories(self) -> None:
        total = max(10, round(self.total * 0.5)) if self.total else 0
        self.pick_doelgroep = _Picker(self.rng, list(DOELGROEPEN), [v[0] for v in DOELGROEPEN.values()])
        self.pick_target = _pairs(self.rng, TRAJECTORY_TARGETS)
        self.pick_regeling_duaal = _pairs(self.rng, REGELINGEN_DUAAL)
        self.pick_regeling_evc = _pairs(self.rng, REGELINGEN_EVC)
        self.referrers = {key: _pairs(self.rng, spec[3]) for key, spec in DOELGROEPEN.items()}
        self.leerbedrijven_with_vacancy = [e for e in self.leerbedrijven if e[0] in self.bbl_vacancies]
        done = 0
        while done < total:
            size = min(BATCH_SIZE, total - done)
            plans = [self.plan_participant() for _ in range(size)]
            self.insert_participants(plans)
            done += size
            self.echo(f"  {done}/{total} deelnemers")

    def plan_participant(self) -> dict:
        rng = self.rng
        doelgroep = self.pick_doelgroep()
        _weight, (born_from, born_to), startkwalificatie, _referrers, duaal_share = DOELGROEPEN[doelgroep]
        first, last = self.person_name(young=doelgroep == "jongere_zonder_startkwalificatie")
        referrer_key = self.referrers[doelgroep]()
        referrer_org = self.org_ids[referrer_key]
        recorder = rng.choice(self.users_by_org[referrer_org])
        registered = self.moment(self.today - timedelta(days=rng.randint(1, 680)))
        email = f"{_slug(first)}.{_slug(last)}@example.com" if rng.random() < 0.5 else ""
        row = {
            "first_name": first,
            "last_name": last,
            "birth_year": rng.randint(born_from, born_to),
            "birth_date": None,
            "email": email,
            "phone": self.mobile() if rng.random() < 0.6 else "",
            "municipality_id": rng.choice(self.municipality_ids),
            "doelgroep": doelgroep,
            "has_startkwalificatie": rng.random() < startkwalificatie,
            "referring_organisation_id": referrer_org,
            "consent_at": registered,
            "consent_recorded_by_id": recorder,
            "consent_purpose": CONSENT_PURPOSE,
            "created_by_id": recorder,
            "created_at": registered,
            "updated_at": registered,
        }
        plan: dict[str, Any] = {"row": row, "trajectories": []}
        kind = "duaal" if rng.random() < duaal_share else "evc"
        if kind == "duaal" and not self.leerbedrijven:
            kind = "evc"
        if rng.random() < 0.97:  # a few participants are registered without a trajectory yet
            plan["trajectories"].append(self.plan_trajectory(kind, registered, recorder, referrer_key))
        return plan

    def plan_trajectory(self, kind: str, registered: datetime, creator: int, referrer_key: str) -> dict:
        rng = self.rng
        employer_id = vacancy_id = None
        job: Job
        techniek = False
        if kind == "duaal":
            pool = (
                self.leerbedrijven_with_vacancy
                if self.leerbedrijven_with_vacancy and rng.random() < 0.6
                else self.leerbedrijven
            )
            employer_id, _created, techniek, _contactpersoon = rng.choice(pool)
            options = self.bbl_vacancies.get(employer_id)
            if options:
                vacancy_id, job, _day = rng.choice(options)
            else:
                job = rng.choice([j for j in self.sector_jobs(techniek) if j.path == "bbl"])
            partnership = TECHNIEK if techniek and rng.random() < 0.7 else TWENTE
            regeling = self.pick_regeling_duaal()
            if regeling == "Sectorplan Techniek" and not techniek:
                regeling = "Regionaal Leerwerkakkoord"
        else:
            job = rng.choice(EVC_QUALIFICATIONS)
            techniek = job.crebo in EVC_TECHNIEK
            if rng.random() < 0.5 and self.all_employers:
                employer_id, _contactpersoon = rng.choice(self.all_employers)
            partnership = TECHNIEK if techniek and rng.random() < 0.6 else TWENTE
            regeling = self.pick_regeling_evc()

        # walk the statuses: aangemeld -> intake -> gestart -> afgerond | uitgevallen
        target = self.pick_target()
        steps = [("aangemeld", registered)]
        moment = registered
        actual_start = actual_end = None
        outcome = dropout_reason = None
        dropout_text = ""
        plan_steps = {
            "aangemeld": [],
            "intake": ["intake"],
            "gestart": ["intake", "gestart"],
            "afgerond": ["intake", "gestart", "afgerond"],
            "uitgevallen": ["intake", "gestart", "uitgevallen"] if rng.random() < 0.7 else ["intake", "uitgevallen"],
        }[target]
        gaps = {"intake": (5, 25), "gestart": (10, 50), "uitgevallen": (20, 200)}
        for status in plan_steps:
            if status == "afgerond":
                low, high = (240, 600) if kind == "duaal" else (60, 180)
            else:
                low, high = gaps[status]
            day = self.local_day(moment) + timedelta(days=rng.randint(low, high))
            if day >= self.today:
                break
            moment = self.moment(day, moment)
            steps.append((status, moment))
            if status == "gestart":
                actual_start = self.local_day(moment)
            elif status == "afgerond":
                actual_end = self.local_day(moment)
                outcome = (
                    "ervaringscertificaat" if kind == "evc" else ("diploma" if rng.random() < 0.85 else "certificaat")
                )
            elif status == "uitgevallen":
                actual_end = self.local_day(moment)
                dropout_reason, dropout_text = rng.choice(DROPOUTS if actual_start else DROPOUTS_BEFORE_START)
        status = steps[-1][0]
        duration = 540 if kind == "duaal" else 120
        planned_start = actual_start or self.local_day(registered) + timedelta(days=rng.randint(30, 75))
        period_id = self.period_ids.get(actual_start.year) if actual_start else None

        involved = {(self.org_ids["roc"], "school")} if kind == "duaal" or rng.random() < 0.4 else set()
        if kind == "evc":
            involved.add((self.org_ids["evc"], "evc_aanbieder"))
        if kind == "duaal" and rng.random() < 0.6:
            involved.add((self.org_ids["sbb"], "kenniscentrum"))
        if referrer_key == "uwv":
            involved.add((self.org_ids["uwv"], "uwv"))
        elif referrer_key in ("enschede", "hengelo"):
            involved.add((self.org_ids[referrer_key], "gemeente"))
        elif referrer_key == "techniek":
            involved.add((self.org_ids["techniek"], "overig"))
        deciders = [u for org, _role in sorted(involved) for u in self.users_by_org.get(org, [])] or [creator]
        changes = []
        previous = None
        for step, when in steps:
            changes.append(
                {
                    "from_status": previous,
                    "to_status": step,
                    "changed_by_id": creator if step == "aangemeld" else rng.choice(deciders),
                    "changed_at": when,
                    "reason": dropout_text if step == "uitgevallen" else "",
                }
            )
            previous = step
        row = {
            "kind": kind,
            "employer_id": employer_id,
            "vacancy_id": vacancy_id,
            "partnership_id": self.partnerships[partnership].id,
            "period_id": period_id,
            "regeling": regeling,
            "qualification_name": job.qualification,
            "crebo": job.crebo,
            "planned_start": planned_start,
            "planned_end": planned_start + timedelta(days=duration),
            "actual_start": actual_start,
            "actual_end": actual_end,
            "guidance_hours": rng.randint(8, 60) if actual_start else None,
            "status": status,
            "outcome": outcome,
            "dropout_reason": dropout_reason,
            "dropout_text": dropout_text,
            "created_by_id": creator,
            "created_at": registered,
            "updated_at": steps[-1][1],
        }
        follow_up = None
        if status in ("gestart", "intake") and rng.random() < 0.25:
            # As trajectories.add_follow_up makes it: owned by someone of an involved organisation
            # (who can see the trajectory), and not tied to the employer, whose timeline is shared.
            owner = creator if creator in deciders else rng.choice(deciders)
            subject = (
                "Voortgangsgesprek met deelnemer en praktijkopleider"
                if status == "gestart"
                else "Intakegesprek afronden"
            )
            follow_up = self.plan_open_follow_up(owner, steps[-1][1], subject, None)["row"]
            follow_up["employer_id"] = None
            follow_up["contact_id"] = None
        row["involvement_key"] = involvement_key(involved)  # bulk inserts bypass the ORM flush hook
        return {"row": row, "changes": changes, "involved": sorted(involved), "follow_up": follow_up}

    def sector_jobs(self, techniek: bool) -> list[Job]:
        return [job for sector in SECTORS if sector.techniek == techniek for job in sector.jobs]

    def insert_participants(self, plans: list[dict]) -> None:
        participant_ids = _insert_with_ids(Participant, [p["row"] for p in plans])
        trajectory_plans = []
        for plan, participant_id in zip(plans, participant_ids, strict=True):
            for trajectory in plan["trajectories"]:
                trajectory["row"]["participant_id"] = participant_id
                trajectory_plans.append(trajectory)
        trajectory_ids = _insert_with_ids(Trajectory, [t["row"] for t in trajectory_plans])
        change_rows, involvement_rows, follow_up_rows = [], [], []
        for trajectory, trajectory_id in zip(trajectory_plans, trajectory_ids, strict=True):
            for row in trajectory["changes"]:
                row["trajectory_id"] = trajectory_id
                change_rows.append(row)
            involvement_rows.extend(
                {"trajectory_id": trajectory_id, "organisation_id": org, "role": role}
                for org, role in trajectory["involved"]
            )
            if trajectory["follow_up"] is not None:
                trajectory["follow_up"]["trajectory_id"] = trajectory_id
                follow_up_rows.append(trajectory["follow_up"])
        _insert(TrajectoryStatusChange, change_rows)
        _insert(TrajectoryOrganisation, involvement_rows)
        _insert(FollowUp, follow_up_rows)
        self.counts["participants"] += len(plans)
        self.counts["trajectories"] += len(trajectory_plans)
        self.counts["trajectory_status_changes"] += len(change_rows)
        self.counts["follow_ups"] += len(follow_up_rows)

    # -- notifications --------------------------------------------------------------------------

    def build_notifications(self) -> None:
        me = self.demo_am
        partner_contacts = db.session.execute(
            select(Contact.occurred_at, Contact.channel, Employer.id, Employer.name, User.name.label("author"))
            .join(Employer, Contact.employer_id == Employer.id)
            .join(User, Contact.author_id == User.id)
            .where(Employer.contactpersoon_id == me.id, Contact.author_id != me.id, Contact.visibility == "gedeeld")
            .order_by(Contact.occurred_at.desc())
            .limit(4)
        ).all()
        for index, row in enumerate(partner_contacts):
            self.notify(
                me,
                "contact_logged_by_partner",
                f"{row.author} heeft contact gehad met {row.name} ({CHANNEL_NAMES[row.channel]}).",
                f"/werkgevers/{row.id}",
                row.occurred_at,
                read=index >= 2,
            )
        due = db.session.execute(
            select(FollowUp.subject, FollowUp.due_date, FollowUp.employer_id)
            .where(FollowUp.owner_id == me.id, FollowUp.status == "open", FollowUp.due_date <= self.today)
            .order_by(FollowUp.due_date.desc(), FollowUp.id)
            .limit(2)
        ).all()
        for row in due:
            when = "staat voor vandaag" if row.due_date == self.today else f"is te laat (was {row.due_date:%d-%m-%Y})"
            self.notify(
                me,
                "follow_up_due",
                f"Opvolgactie '{row.subject}' {when}.",
                f"/werkgevers/{row.employer_id}" if row.employer_id else "/",
                self.moment(row.due_date),
                read=False,
            )
        handovers = db.session.execute(
            select(ContactpersoonAssignment.started_at, Employer.id, Employer.name)
            .join(Employer, ContactpersoonAssignment.employer_id == Employer.id)
            .where(
                ContactpersoonAssignment.user_id == me.id,
                ContactpersoonAssignment.ended_at.is_(None),
                ContactpersoonAssignment.note.like("Overgenomen van %"),
            )
            .order_by(ContactpersoonAssignment.started_at.desc())
            .limit(2)
        ).all()
        for row in handovers:
            self.notify(
                me,
                "employer_assigned",
                f"U bent nu contactpersoon van {row.name}".rstrip(".") + ".",
                f"/werkgevers/{row.id}",
                row.started_at,
                read=True,
            )

    def notify(self, user: User, kind: str, message: str, link: str, created_at: datetime, *, read: bool) -> None:
        read_at = None
        if read:
            read_at = self.moment(self.local_day(created_at) + timedelta(days=self.rng.randint(0, 2)), created_at)
        db.session.add(
            Notification(user_id=user.id, kind=kind, message=message, link=link, created_at=created_at, read_at=read_at)
        )
        self.counts["notifications"] += 1

    # -- report ---------------------------------------------------------------------------------

    def report(self) -> str:
        c = self.counts
        logins = ", ".join(f"{email} ({role})" for email, role in DEMO_LOGINS)
        return (
            f"Demo data created: {c['partnerships']} partnerships, {c['organisations']} organisations, {c['users']} users, "
            f"{self.employer_count} employers ({c['employer_contacts']} employer contacts, {c['assignments']} "
            f"contactpersoon assignments), {c['contacts']} contacts, {c['follow_ups']} follow-ups, "
            f"{c['vacancies']} vacancies ({c['vacancy_status_changes']} status changes), {c['participants']} "
            f"participants, {c['trajectories']} trajectories ({c['trajectory_status_changes']} status changes), "
            f"{c['ambitions']} ambitions, {c['notifications']} notifications.\n"
            f"Demo logins (password {DEMO_PASSWORD}): {logins}"
        )


def _insert(model, rows: list[dict]) -> None:
    """A Core executemany on the model's table: one statement per batch. (The ORM's bulk insert
    groups rows by which values are None, which turns sparse rows into many small statements.)"""
    if not rows:
        return
    db.session.execute(insert(getattr(model, "__table__", model)), rows)


def _insert_with_ids(model, rows: list[dict]) -> list[int]:
    """Bulk insert with primary keys chosen up front, so children can point at the new rows.

    (An ORM bulk insert with ``RETURNING ... sort_by_parameter_order`` runs row by row on SQLite.)
    PostgreSQL hands out the ids from the table's own sequence, so it stays in step; on SQLite the
    seed already holds the write lock, so nobody else can take ``max(id) + 1`` meanwhile.
    """
    if not rows:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        ids = list(
            db.session.scalars(
                text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
                {"table": model.__tablename__, "n": len(rows)},
            )
        )
    else:
        start = (db.session.scalar(select(func.max(model.id))) or 0) + 1
        ids = list(range(start, start + len(rows)))
    for row, new_id in zip(rows, ids, strict=True):
        row["id"] = new_id
    _insert(model, rows)
    return ids
