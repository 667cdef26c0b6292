"""The demo portfolio's word lists and constants: countries, company and person names, addresses, staff
and salaries, interaction kinds and notes, strategic reasons. Data only; the draws are in the planners."""

from dataclasses import dataclass

DEMO_REF_PREFIX = "DEMO-"
TARGET_TOP_SHARE = 0.78
MEAN_ANNUAL_REVENUE = 32_000
PAYMENT_TERMS_DAYS = 30
HOURLY_GUESS = 55.0  # only to size service hours; the rows use each staff member's real cost

# username, first name, last name; alice and bruno come from `demo_users`.
EXTRA_MANAGERS = [
    ("claire", "Claire", "Lefèvre"),
    ("daan", "Daan", "de Vries"),
    ("ioana", "Ioana", "Popescu"),
]
# Each manager holds more of the clients of one country, and alice and bruno (who can log in) a larger share.
MANAGER_AFFINITY = {"alice": "GB", "bruno": "BE", "claire": "FR", "daan": "NL", "ioana": "RO"}
MANAGER_WEIGHT = {"alice": 1.4, "bruno": 1.4, "claire": 1.0, "daan": 1.0, "ioana": 0.9}
MANAGERS = list(MANAGER_WEIGHT)

# Annual salaries: the first is in force before the period; a second one takes effect part-way through it,
# at the given fraction of the period.
SALARIES = {
    "alice": [(0.0, 56_000), (0.5, 59_500)],
    "bruno": [(0.0, 51_000)],
    "claire": [(0.0, 61_000)],
    "daan": [(0.0, 47_500)],
    "ioana": [(0.0, 43_000), (0.34, 46_500)],
    "fiona": [(0.0, 58_000), (0.67, 60_500)],
}
STAFF = [*SALARIES]


def _words(text):
    return tuple(word.strip() for word in text.split(","))


def _pairs(text):
    return tuple(tuple(pair.strip().split("=")) for pair in text.split(","))


@dataclass(frozen=True)
class Country:
    label: str
    tld: str
    weight: float
    suffixes: tuple
    surnames: tuple
    given: tuple
    patterns: tuple  # (name pattern with {s} for a surname, segment)
    specials: tuple  # (full name without suffix, suffix, segment)
    cities: tuple  # (city, postcode)
    streets: tuple
    address: str  # format with n, street, city, pc
    language: str  # the contacts' language (settings.LANGUAGES)
    city_languages: tuple = ()  # (city, language) where the city's contacts read another language


COUNTRIES = {
    "FR": Country(
        label="France",
        tld="fr",
        language="fr",
        weight=0.28,
        suffixes=("SAS", "SAS", "SA", "SARL"),
        surnames=_words(
            "Dubois, Lefèvre, Moreau, Laurent, Girard, Bonnet, Mercier, Fontaine, Rousseau, Garnier, "
            "Chevalier, Faure, Gauthier, Perrin, Marchand, Duval, Lemaire, Roussel, Boucher, Lacroix, "
            "Bérenger, Lévêque, Clément, Noël, Barbier, Aubert, Rivière"
        ),
        given=_words(
            "Camille, Élodie, Hélène, Jérôme, François, Amélie, Stéphane, Benoît, Céline, Thierry, "
            "Margaux, Sébastien, Aurélie, Grégoire, Noémie, Léa, Mathieu, Chloé"
        ),
        patterns=(
            ("Transports {s}", "Logistics"),
            ("{s} Logistique", "Logistics"),
            ("Atelier {s} & Fils", "Manufacturing"),
            ("Groupe {s}", "Professional services"),
            ("Imprimerie {s}", "Printing"),
            ("Boulangeries {s}", "Food & beverage"),
            ("Cabinet {s} Conseil", "Professional services"),
            ("{s} Électricité", "Construction"),
            ("Menuiserie {s}", "Construction"),
            ("Laboratoires {s}", "Healthcare"),
            ("Pharmacie {s}", "Healthcare"),
            ("{s} Distribution", "Retail"),
            ("Domaine {s}", "Food & beverage"),
        ),
        specials=(
            ("Société Générale d'Équipement", "SA", "Manufacturing"),
            ("Coopérative Agricole du Val de Loire", "", "Food & beverage"),
            ("Hôtellerie Côte d'Azur", "SAS", "Hospitality"),
            ("Éditions du Littoral", "SARL", "Printing"),
            ("Clinique Saint-Éloi", "SAS", "Healthcare"),
        ),
        cities=_pairs(
            "Lyon=69002, Paris=75011, Lille=59000, Nantes=44000, Bordeaux=33000, Toulouse=31000, "
            "Strasbourg=67000, Marseille=13002, Rennes=35000, Grenoble=38000"
        ),
        streets=_words(
            "rue de la République, avenue Jean Jaurès, boulevard Voltaire, quai des Chartrons, "
            "rue Nationale, place Bellecour, rue du Général de Gaulle, allée des Tilleuls"
        ),
        address="{n} {street}\n{pc} {city}\nFrance",
    ),
    "BE": Country(
        label="Belgium",
        tld="be",
        language="nl",  # the names and streets are Flemish; Brussels writes in French
        city_languages=(("Bruxelles", "fr"),),
        weight=0.16,
        suffixes=("NV", "BV", "BV", "SRL"),
        surnames=_words(
            "Peeters, Janssens, Maes, Claes, Willems, Goossens, Wouters, Vermeulen, Hendrickx, De Smet, "
            "Van Damme, Dubois, Lambert, Desmet, Verhaegen, Coppens"
        ),
        given=_words(
            "Lotte, Pieter, Annelies, Koen, Sofie, Wim, Griet, Jeroen, Elke, Thomas, Nathalie, Bart, Ine, "
            "Joachim, Hélène, Lucas"
        ),
        patterns=(
            ("Bouwbedrijf {s}", "Construction"),
            ("{s} Logistics", "Logistics"),
            ("Brouwerij {s}", "Food & beverage"),
            ("Drukkerij {s}", "Printing"),
            ("{s} & Partners", "Professional services"),
            ("Technisch Bureau {s}", "Engineering"),
            ("{s} Verpakkingen", "Manufacturing"),
            ("Apotheek {s}", "Healthcare"),
        ),
        specials=(
            ("Vlaamse Havendiensten", "NV", "Logistics"),
            ("Chocolaterie Côte d'Or Artisanale", "SRL", "Food & beverage"),
        ),
        cities=_pairs(
            "Antwerpen=2000, Gent=9000, Leuven=3000, Brugge=8000, Mechelen=2800, Hasselt=3500, Bruxelles=1000"
        ),
        streets=_words("Meir, Veldstraat, Stationsstraat, Kerkstraat, Industrieweg, Grote Markt"),
        address="{street} {n}\n{pc} {city}\nBelgië",
    ),
    "NL": Country(
        label="Netherlands",
        tld="nl",
        language="nl",
        weight=0.16,
        suffixes=("B.V.", "B.V.", "N.V."),
        surnames=_words(
            "de Vries, Jansen, van den Berg, Bakker, Visser, Smit, Meijer, de Boer, Mulder, de Graaf, "
            "van Dijk, van Leeuwen, Brouwer, Dekker, Hoekstra, van der Linden"
        ),
        given=_words(
            "Sanne, Bram, Femke, Joris, Eline, Ruben, Anouk, Thijs, Maaike, Wouter, Ilse, Daan, Floor, "
            "Jasper, Noor, Sem"
        ),
        patterns=(
            ("{s} Installatietechniek", "Construction"),
            ("Transportbedrijf {s}", "Logistics"),
            ("{s} Logistiek", "Logistics"),
            ("Bakkerij {s}", "Food & beverage"),
            ("{s} & Zonen", "Manufacturing"),
            ("{s} Adviesgroep", "Professional services"),
            ("Kaasmakerij {s}", "Food & beverage"),
            ("{s} Software", "Software"),
        ),
        specials=(
            ("Rijnmond Havenlogistiek", "B.V.", "Logistics"),
            ("Zuidas Vastgoedbeheer", "B.V.", "Real estate"),
        ),
        cities=_pairs(
            "Amsterdam=1015 CJ, Rotterdam=3011 AD, Utrecht=3511 LX, Eindhoven=5611 EM, Groningen=9711 LM, "
            "Den Haag=2511 BT"
        ),
        streets=_words("Keizersgracht, Coolsingel, Oudegracht, Stationsplein, Industrieweg, Damrak"),
        address="{street} {n}\n{pc} {city}\nNederland",
    ),
    "RO": Country(
        label="Romania",
        tld="ro",
        language="ro",
        weight=0.2,
        suffixes=("S.R.L.", "S.R.L.", "S.A."),
        surnames=_words(
            "Popescu, Ionescu, Popa, Stan, Dumitrescu, Constantinescu, Ștefănescu, Munteanu, Gheorghiu, "
            "Rădulescu, Marinescu, Tudor, Dobre, Lazăr, Niculescu, Mihăilescu, Țurcanu, Bălan"
        ),
        given=_words(
            "Andrei, Ioana, Mihai, Elena, Alexandru, Ana-Maria, Ștefan, Cristina, Radu, Mădălina, Bogdan, "
            "Irina, Vlad, Oana, Tudor, Simona"
        ),
        patterns=(
            ("{s} Construcții", "Construction"),
            ("{s} Distribuție", "Retail"),
            ("Agro {s}", "Agriculture"),
            ("Tipografia {s}", "Printing"),
            ("{s} Consultanță", "Professional services"),
            ("Mobila {s}", "Manufacturing"),
            ("Farmacia {s}", "Healthcare"),
            ("{s} Transport", "Logistics"),
        ),
        specials=(
            ("Transilvania Logistic", "S.R.L.", "Logistics"),
            ("Carpați Energie", "S.A.", "Energy"),
            ("Dunărea Transport Fluvial", "S.A.", "Logistics"),
            ("Bucovina Lactate", "S.R.L.", "Food & beverage"),
        ),
        cities=_pairs(
            "București=010063, Cluj-Napoca=400001, Timișoara=300001, Iași=700001, Brașov=500001, "
            "Constanța=900001, Sibiu=550001"
        ),
        streets=_words(
            "Calea Victoriei, Bulevardul Unirii, Strada Lipscani, Strada Memorandumului, "
            "Bulevardul Eroilor, Strada Republicii"
        ),
        address="{street} nr. {n}\n{pc} {city}\nRomânia",
    ),
    "GB": Country(
        label="United Kingdom",
        tld="co.uk",
        language="en",
        weight=0.2,
        suffixes=("Ltd", "Ltd", "Ltd", "plc", "LLP"),
        surnames=_words(
            "Hartley, Whitmore, Ashworth, Fletcher, Harrington, Pemberton, Thornton, Caldwell, Bradshaw, "
            "Kingsley, Osborne, Fairfax, Holloway, Sinclair, Blackwood, Prescott"
        ),
        given=_words(
            "Oliver, Charlotte, James, Amelia, Harry, Sophie, George, Emily, Thomas, Grace, William, "
            "Hannah, Jack, Eleanor, Priya, Callum"
        ),
        patterns=(
            ("{s} & Sons", "Manufacturing"),
            ("{s} Engineering", "Engineering"),
            ("{s} Consulting", "Professional services"),
            ("{s} Foods", "Food & beverage"),
            ("{s} Print", "Printing"),
            ("{s} Facilities", "Facility services"),
            ("{s} Freight", "Logistics"),
            ("{s} Dental Group", "Healthcare"),
        ),
        specials=(
            ("Northbridge Logistics", "Ltd", "Logistics"),
            ("Thames Valley Software", "Ltd", "Software"),
            ("Pennine Building Supplies", "Ltd", "Construction"),
        ),
        cities=_pairs(
            "London=EC2A 4NE, Manchester=M2 4LQ, Leeds=LS1 4AP, Bristol=BS1 4DJ, Birmingham=B2 4QA, "
            "Edinburgh=EH2 2ER, Cambridge=CB2 1TN"
        ),
        streets=_words("High Street, King Street, Victoria Road, Church Lane, Market Place, Queen Square"),
        address="{n} {street}\n{city} {pc}\nUnited Kingdom",
    ),
}
COUNTRY_CODES = list(COUNTRIES)

PRIMARY_ROLES = (
    "Managing director",
    "Chief financial officer",
    "Head of operations",
    "Procurement manager",
    "IT manager",
)
OTHER_ROLES = ("Accounts payable", "Office manager", "Project lead", "Purchasing assistant", "Site manager")

# kind: (shortest, longest, step) in minutes
DURATIONS = {
    "email": (5, 25, 5),
    "call": (10, 60, 5),
    "meeting": (30, 120, 15),
    "support": (15, 150, 15),
    "demo": (45, 90, 15),
    "visit": (90, 300, 30),
    "proposal": (60, 240, 30),
}
KIND_MIX = {
    "normal": {"email": 30, "call": 30, "meeting": 14, "support": 13, "visit": 5, "proposal": 4, "demo": 4},
    "loss": {"support": 45, "call": 30, "email": 13, "meeting": 9, "visit": 3},
    "acquisition": {"call": 30, "demo": 25, "proposal": 20, "meeting": 15, "visit": 10},
}
NOTES = {
    "email": (
        "Sent the monthly report",
        "Answered questions on the last invoice",
        "Shared the updated delivery schedule",
        "Confirmed the meeting agenda",
        "Sent the revised price list",
    ),
    "call": (
        "Quarterly check-in",
        "Follow-up on the last delivery",
        "Question about the new price list",
        "Planning call for next quarter",
        "Escalation about a delayed order",
        "Renewal discussion",
    ),
    "meeting": (
        "Quarterly business review",
        "Kick-off meeting for a new project",
        "Steering committee",
        "Contract renewal meeting",
        "Workshop on reporting needs",
    ),
    "support": (
        "Export to the accounting system fails",
        "Access for three new users",
        "Data import errors",
        "Urgent fix requested before month-end",
        "Configuration change requested",
        "Training session for new staff",
    ),
    "demo": ("Demo of the reporting module", "Demo of the mobile app", "Product demo for the board"),
    "visit": (
        "On-site visit and plant tour",
        "Visit to the head office",
        "On-site workshop with the operations team",
    ),
    "proposal": (
        "Proposal for a three-year contract",
        "Renewal proposal",
        "Proposal for an additional site",
        "Revised proposal after negotiation",
    ),
}
ACQUISITION_NOTES = {
    "call": ("Introductory call", "Qualification call with the buyer", "Follow-up after the trade fair"),
    "demo": ("First demo", "Demo for the operations team", "Second demo with the decision makers"),
    "proposal": ("Proposal sent", "Revised proposal after the pricing discussion", "Final offer"),
    "meeting": ("Discovery meeting", "Meeting with procurement", "Negotiation meeting"),
    "visit": ("Site visit to scope the needs", "Visit with our solution architect"),
}
FINANCE_NOTES = (
    "Billing question about the last invoice",
    "Payment reminder call; payment promised by month-end",
    "Agreed a payment plan for the overdue invoices",
    "Explained the credit note",
    "Checked the remittance details",
)
STRATEGIC_REASONS = (
    "Largest account in its market; anchors our references in every tender.",
    "Reference site for our public-sector offer; keeps us on the framework agreement.",
    "Co-develops the reporting module with us and tests every release first.",
    "Opens the door to the group's other subsidiaries.",
    "Flagship brand: its logo is on our website and in every pitch.",
    "Board-level relationship: its chairman sits on our advisory board.",
)
FORMER_NOTES = (
    "Moved the work to an in-house team.",
    "Ended the contract after the price increase.",
    "Taken over by a group with its own provider.",
)
