"""The demo's data: the partnership, its organisations and users, and the small shipped lists the
seeder draws from (names, towns, sectors with their jobs, contact texts, status weights). Only
literals here: the code that turns them into records is in ``crm.demo.seeder`` and its steps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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
# Handelsnamen: about one employer in twelve trades under another name as well (chosen from its
# KvK number, so the rest of the demo data stays as it was).
TRADE_NAME_WORDS = (
    "Vakwerk",
    "Totaalservice",
    "Klusdienst",
    "Montagegroep",
    "Onderhoudsdienst",
    "Projectbureau",
    "Servicepunt",
    "Werkplaats",
    "Handelshuis",
    "Adviesgroep",
)
TRADE_NAME_BRANDS = ("De Zwaluw", "Het Anker", "De Eikenhof", "Tukker Kwaliteit", "De Reiger", "Noaberhulp")
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
