"""The search test set: realistic queries over the demo data (``crm.demo.seed(employers=300)``)
and the employer each should find, named by its name and place. Used by
``tests/test_search_recall.py`` and ``bench/search_bench.py``.

Which employers the demo creates depends on the day it is seeded (its date draws share one
random sequence with the names), so both seed it as of ``SEEDED_AT``, the day the set was
written against."""

from datetime import UTC, datetime

SEEDED_AT = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)

QUERIES: list[tuple[str, str, str]] = [
    # (query, employer name, place) -- typos, one or two letters
    ("dakdekersbedrijf kampuis", "Dakdekkersbedrijf Kamphuis B.V.", "Enschede"),
    ("Kamphuys transport", "Transportbedrijf Kamphuis", "Enschede"),
    ("Bouwmark Oosterhoff", "Bouwmarkt Oosterhof", "Almelo"),
    ("Reggestrom thuiszorg", "Thuiszorg Reggestroom B.V.", "Nijverdal"),
    ("woonzorg regestroom", "Woonzorgcentrum Reggestroom", "Tubbergen"),
    ("machinefabriek rikerink", "Machinefabriek Rikkerink & Zn.", "Enschede"),
    ("zorgboerdrij nijenhuis", "Zorgboerderij Nijenhuis & Zn. B.V.", "Enschede"),
    ("verpakingen pierik", "Verpakkingen Pierik", "Borne"),
    ("wisink loonbedrijf", "Wissink Loonbedrijf", "Haaksbergen"),
    ("textielfabriek morsnik", "Textielfabriek Morsink B.V.", "Markelo"),
    ("borghuis expiditie", "Borghuis Expeditie B.V.", "Oldenzaal"),
    ("softwarebedriff te brake", "Softwarebedrijf Te Brake", "Almelo"),
    ("stokers installatietechniek", "Stokkers Installatietechniek", "Enschede"),
    ("metaalbewerkng lansink", "Metaalbewerking Lansink", "Hengelo"),
    ("reimink boomkwekrij", "Reimink Boomkwekerij", "Enschede"),
    ("weverei pegge", "Weverij Pegge & Zn.", "Almelo"),
    ("kunstofverwerking velthuis", "Kunststofverwerking Velthuis B.V.", "Den Ham"),
    ("garagebedryf geerdink", "Garagebedrijf Geerdink", "Enschede"),
    ("melkveehouderei visser", "Melkveehouderij Visser", "Enschede"),
    ("constructiebedrijf demier", "Constructiebedrijf Demir", "Ootmarsum"),
    # words swapped
    ("Kamphuis Dakdekkers", "Dakdekkersbedrijf Kamphuis B.V.", "Enschede"),
    ("oosterhof bouwmarkt", "Bouwmarkt Oosterhof", "Almelo"),
    ("rikkerink machinefabriek", "Machinefabriek Rikkerink & Zn.", "Enschede"),
    ("geerdink garage", "Garagebedrijf Geerdink", "Enschede"),
    ("leferink dakdekker", "Dakdekkersbedrijf Leferink", "Delden"),
    ("wegenbouw kamphuis", "Kamphuis Grond- en wegenbouw", "Nijverdal"),
    ("pierik brasserie", "Brasserie Pierik", "Overdinkel"),
    ("haverkate staalbouw", "Staalbouw Haverkate V.O.F.", "Enschede"),
    # missing letters / parts of words
    ("dakdekkers brummelhuis", "Dakdekkersbedrijf Brummelhuis", "Enschede"),
    ("Groot Koerkamp auto", "Autobedrijf Groot Koerkamp & Zn. B.V.", "Albergen"),
    ("autoschade mulder", "Autoschadeherstel Mulder & Zn. B.V.", "Almelo"),
    ("hovenier bakker", "Hoveniersbedrijf Bakker & Zn.", "Almelo"),
    ("klimaattech aalderink", "Klimaattechniek Aalderink B.V.", "Enter"),
    ("zorgboerderij spinnershuis", "Zorgboerderij Het Spinnershuis", "Hellendoorn"),
    # Dutch spelling variants: ij/y, ei/ij, ou/au, dt/t, double letters
    ("Nyenhuis hotel", "Hotel Nijenhuis V.O.F.", "Enschede"),
    ("bakkerei nyenhuis", "Bakkerij Nijenhuis B.V.", "Enschede"),
    ("Rauwhorst groothandel", "Groothandel Rouwhorst B.V.", "Enschede"),
    ("hotel rouwhorst", "Hotel Rouwhorst & Zn.", "Goor"),
    ("van dyk partycentrum", "Van Dijk Partycentrum B.V.", "Enschede"),
    ("dijkhuis metaalbewerkingh", "Dijkhuis Metaalbewerking", "Oldenzaal"),
    ("velthuys fietsenwinkel", "Velthuis Fietsenwinkel", "Enschede"),
    ("melkveehauderij krabbe", "Melkveehouderij Krabbe & Zn. B.V.", "Tubbergen"),
    ("zoneshoek kinderdagverblijf", "Kinderdagverblijf Zonnehoek", "Rijssen"),
    # legal forms and punctuation
    ("Kamphuis BV dakdekkersbedrijf", "Dakdekkersbedrijf Kamphuis B.V.", "Enschede"),
    ("bakkerij mensink vof", "Bakkerij Mensink V.O.F.", "Enschede"),
    ("Fietsenwinkel Beld en Zn", "Fietsenwinkel Beld & Zn.", "Weerselo"),
    ("ter horst garagebedrijf v.o.f.", "Ter Horst Garagebedrijf V.O.F.", "Almelo"),
    ("Ten Dam Softwarebedrijf bv", "Ten Dam Softwarebedrijf B.V.", "Markelo"),
    ("ICT diensten Hendriks", "ICT-diensten Hendriks", "Vriezenveen"),
    ("groothandel el amrani b.v.", "Groothandel El Amrani B.V.", "Markelo"),
    # place, postcode, KvK
    ("hoveniersbedrijf borne", "Hoveniersbedrijf Borne", "Borne"),
    ("machinefabriek haaksbergen", "Machinefabriek Haaksbergen", "Haaksbergen"),
    ("bouwbedrijf oost ootmarsum", "Bouwbedrijf Oost", "Ootmarsum"),
    ("7527 VA", "Dakdekkersbedrijf Kamphuis B.V.", "Enschede"),
    ("7603VE", "Bouwmarkt Oosterhof", "Almelo"),
    ("kamphuis 7571 ex", "Bouwmarkt Kamphuis & Zn. B.V.", "Oldenzaal"),
    ("57868100", "Transportbedrijf Kamphuis", "Enschede"),
    ("57877318", "Dakdekkersbedrijf Kamphuis B.V.", "Enschede"),
    # the contactpersoon and people at the employer
    ("Bas Kleinsman schoonmaak oldenzaal", "Schoonmaakbedrijf Oldenzaal B.V.", "Oldenzaal"),
    ("yilmaz transportbedrijf", "Transportbedrijf Kamphuis", "Enschede"),
    ("Fatma Yılmaz thuiszorg", "Thuiszorg Reggestroom B.V.", "Nijverdal"),
    ("Gert-Jan Ribbers", "Dakdekkersbedrijf Kamphuis B.V.", "Enschede"),
    ("Youssef ter Horst", "Kamphuis Grond- en wegenbouw", "Nijverdal"),
    ("mirjam vaanholt", "Oosterhof Installatiebedrijf B.V.", "Hengelo"),
    ("Samira Boerigter", "ICT-diensten Hendriks", "Vriezenveen"),
    ("Agnieszka Pierk", "Elektrotechniek Oude Vrielink & Zn. B.V.", "Delden"),
    ("Ahmet Bouzid dakdekker", "Dakdekkersbedrijf Brummelhuis", "Enschede"),
    ("ozturk brasserie", "Brasserie Pierik", "Overdinkel"),
    # trade names (handelsnamen), also with typos and other words
    ("tukker kwaliteit", "Transportbedrijf Rikkerink", "Nijverdal"),
    ("noaberhulp", "Grond- en wegenbouw Bakker B.V.", "Nijverdal"),
    ("de eikenhof enter", "Bouwmarkt Oude Nijhuis", "Enter"),
    ("het anker elektrotechniek", "Elektrotechniek Oude Vrielink & Zn. B.V.", "Delden"),
    ("zwaluw thuiszorg", "Thuiszorg Reggestroom B.V.", "Nijverdal"),
    ("projectbureau markelo", "Autoschadeherstel Beld V.O.F.", "Markelo"),
    ("klusdienst oldenzaal", "Dijkhuis Metaalbewerking", "Oldenzaal"),
    ("totaalservis oldenzaal", "Groothandel Aalderink B.V.", "Oldenzaal"),
    ("servicepunt lansink", "Lansink Administratiekantoor B.V.", "Oldenzaal"),
    ("werkplaats holten", "Woonzorgcentrum Het Lutterzand B.V.", "Holten"),
    # harder: words run together, several typos, extra words
    ("grootkoerkamp bouwmarkt", "Bouwmarkt Groot Koerkamp B.V.", "Enschede"),
    ("groothandel el amarni", "Groothandel El Amrani B.V.", "Markelo"),
    ("thuiszorg erve oldenzaal", "Thuiszorg Het Erve", "Oldenzaal"),
    ("zorgrgoep zonnehoek", "Zorggroep Zonnehoek B.V.", "Enschede"),
    ("kinderopvang marke tubergen", "Kinderopvang De Marke", "Tubbergen"),
    ("oude vrielink elektro delden", "Elektrotechniek Oude Vrielink & Zn. B.V.", "Delden"),
    ("machinefabriek rikkerink enschede", "Machinefabriek Rikkerink & Zn.", "Enschede"),
    ("lutterzand zorggroep", "Zorggroep Het Lutterzand B.V.", "Enschede"),
    ("nijhuys elektrotechniek bv", "Nijhuis Elektrotechniek B.V.", "Enschede"),
]
