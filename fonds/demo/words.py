"""Words of the demonstration: real partner towns abroad, French phrasing, project themes and the
motivations staff write. Data only (and the few functions that phrase it), no database.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# ---- partner towns abroad (real towns, town-hall coordinates rounded to 4 decimals) ----------

#: ISO code → (French name, "in <country>" phrase, language practised)
COUNTRIES = {
    "AT": ("Autriche", "en Autriche", "allemand"),
    "BE": ("Belgique", "en Belgique", "néerlandais"),
    "BR": ("Brésil", "au Brésil", "portugais"),
    "CA": ("Canada", "au Canada", "anglais"),
    "CK": ("Îles Cook", "aux Îles Cook", "anglais"),
    "CZ": ("Tchéquie", "en Tchéquie", "tchèque"),
    "DE": ("Allemagne", "en Allemagne", "allemand"),
    "DK": ("Danemark", "au Danemark", "danois"),
    "DM": ("Dominique", "à la Dominique", "anglais"),
    "ES": ("Espagne", "en Espagne", "espagnol"),
    "GR": ("Grèce", "en Grèce", "grec"),
    "HR": ("Croatie", "en Croatie", "croate"),
    "HU": ("Hongrie", "en Hongrie", "hongrois"),
    "IE": ("Irlande", "en Irlande", "anglais"),
    "IT": ("Italie", "en Italie", "italien"),
    "JP": ("Japon", "au Japon", "japonais"),
    "KM": ("Comores", "aux Comores", "comorien"),
    "LC": ("Sainte-Lucie", "à Sainte-Lucie", "anglais"),
    "LU": ("Luxembourg", "au Luxembourg", "luxembourgeois"),
    "MA": ("Maroc", "au Maroc", "arabe"),
    "MU": ("Maurice", "à Maurice", "anglais"),
    "NZ": ("Nouvelle-Zélande", "en Nouvelle-Zélande", "anglais"),
    "PL": ("Pologne", "en Pologne", "polonais"),
    "PT": ("Portugal", "au Portugal", "portugais"),
    "RO": ("Roumanie", "en Roumanie", "roumain"),
    "SN": ("Sénégal", "au Sénégal", "wolof"),
    "SR": ("Suriname", "au Suriname", "néerlandais"),
    "VU": ("Vanuatu", "au Vanuatu", "bichelamar"),
    "WS": ("Samoa", "aux Samoa", "samoan"),
}

#: (name, ISO country, latitude, longitude[, "in <region>" phrase, language]):
#: partners of metropolitan communes
WORLD_PARTNERS = [
    ("Rothenburg ob der Tauber", "DE", "49.3772", "10.1789"),
    ("Bad Urach", "DE", "48.4919", "9.3989"),
    ("Sankt Wendel", "DE", "49.4667", "7.1667"),
    ("Altötting", "DE", "48.2264", "12.6764"),
    ("Königswinter", "DE", "50.6833", "7.1833"),
    ("Montepulciano", "IT", "43.0920", "11.7800"),
    ("Bardolino", "IT", "45.5500", "10.7167"),
    ("Alberobello", "IT", "40.7833", "17.2333"),
    ("Castelnuovo di Garfagnana", "IT", "44.1000", "10.4000"),
    ("Jaca", "ES", "42.5700", "-0.5492"),
    ("Ronda", "ES", "36.7423", "-5.1671"),
    ("Olite", "ES", "42.4817", "-1.6511"),
    ("Kazimierz Dolny", "PL", "51.3200", "21.9500"),
    ("Zakopane", "PL", "49.2992", "19.9496"),
    ("Óbidos", "PT", "39.3606", "-9.1571"),
    ("Ponte de Lima", "PT", "41.7672", "-8.5833"),
    ("Kinsale", "IE", "51.7075", "-8.5306"),
    ("Dingle", "IE", "52.1408", "-10.2689"),
    ("Sighișoara", "RO", "46.2197", "24.7964"),
    ("Sibiu", "RO", "45.7983", "24.1256"),
    ("Podor", "SN", "16.6500", "-14.9500"),
    ("Saint-Louis", "SN", "16.0326", "-16.4818"),
    ("Baie-Saint-Paul", "CA", "47.4419", "-70.4983", "au Québec", "français du Québec"),
    ("Rimouski", "CA", "48.4489", "-68.5236", "au Québec", "français du Québec"),
    ("Takayama", "JP", "36.1461", "137.2522"),
    ("Obama", "JP", "35.4953", "135.7467"),
    ("Durbuy", "BE", "50.3528", "5.4564", "en Belgique", "wallon"),
    ("Český Krumlov", "CZ", "48.8127", "14.3175"),
    ("Rovinj", "HR", "45.0812", "13.6387"),
    ("Nafplio", "GR", "37.5673", "22.8016"),
    ("Chefchaouen", "MA", "35.1688", "-5.2636"),
    ("Vianden", "LU", "49.9350", "6.2089"),
    ("Szentendre", "HU", "47.6694", "19.0756"),
    ("Ribe", "DK", "55.3280", "8.7600"),
    ("Hallstatt", "AT", "47.5622", "13.6493"),
]

#: partners of overseas communes, by département / collectivité code
OVERSEAS_PARTNERS = {
    "971": [("Roseau", "DM", "15.3014", "-61.3883"), ("Portsmouth", "DM", "15.5833", "-61.4667")],
    "972": [("Castries", "LC", "14.0101", "-60.9875"), ("Soufrière", "LC", "13.8566", "-61.0564")],
    "973": [("Oiapoque", "BR", "3.8417", "-51.8331"), ("Albina", "SR", "5.4969", "-54.0544")],
    "974": [("Curepipe", "MU", "-20.3167", "57.5167")],
    "975": [("Fortune", "CA", "47.0733", "-55.8289", "à Terre-Neuve (Canada)", "anglais")],
    "976": [("Mutsamudu", "KM", "-12.1667", "44.4000")],
    "986": [("Apia", "WS", "-13.8333", "-171.7667")],
    "987": [("Avarua", "CK", "-21.2078", "-159.7750"), ("Rotorua", "NZ", "-38.1368", "176.2497")],
    "988": [("Port-Vila", "VU", "-17.7333", "168.3167"), ("Luganville", "VU", "-15.5333", "167.1667")],
}

#: approximate centre of each region (or overseas collectivité): the commune's coordinates are
#: not in the referential, so the declared distance is computed from here
REGION_CENTRES = {
    "11": (48.71, 2.50),
    "24": (47.48, 1.69),
    "27": (47.24, 4.81),
    "28": (49.12, 0.11),
    "32": (49.97, 2.78),
    "44": (48.69, 5.62),
    "52": (47.47, -0.82),
    "53": (48.18, -2.84),
    "75": (45.19, 0.20),
    "76": (43.70, 2.14),
    "84": (45.51, 4.54),
    "93": (43.96, 6.06),
    "94": (42.15, 9.11),
    "01": (16.20, -61.55),
    "02": (14.64, -61.02),
    "03": (4.00, -53.00),
    "04": (-21.13, 55.53),
    "06": (-12.82, 45.15),
    "975": (46.78, -56.18),
    "977": (17.90, -62.83),
    "978": (18.07, -63.05),
    "986": (-13.28, -176.17),
    "987": (-17.65, -149.43),
    "988": (-21.30, 165.50),
}
FRANCE_CENTRE = (46.60, 2.40)


@dataclass(frozen=True)
class Partner:
    name: str
    country: str
    latitude: str
    longitude: str
    in_country: str
    language: str

    @classmethod
    def of(cls, row: tuple) -> Partner:
        name, country, lat, lon, *extra = row
        _, in_country, language = COUNTRIES[country]
        if extra:
            in_country, language = extra
        return cls(name, country, lat, lon, in_country, language)


# ---- French wording --------------------------------------------------------------------------


def de(name: str) -> str:
    """``de Vézelay``, ``d'Óbidos``, ``du Mesnil`` (Le …), ``des Rousses`` (Les …)."""
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    first = unicodedata.normalize("NFKD", name[:1]).encode("ascii", "ignore").decode().lower()
    if first and first in "aeiouy":
        return "d'" + name
    return "de " + name


def a(name: str) -> str:
    """``à Vézelay``, ``au Mesnil``, ``aux Rousses``."""
    if name.startswith("Le "):
        return "au " + name[3:]
    if name.startswith("Les "):
        return "aux " + name[4:]
    return "à " + name


THEMES = [
    dict(
        title="Tournoi sportif des jeunes jumelés {a_partner}",
        summary=(
            "Pendant {days} jours, {youth} jeunes {de_commune} retrouvent leurs homologues {de_partner} "
            "({in_country}) pour un tournoi de football et de basket en équipes mixtes, encadré par les "
            "clubs des deux villes. Les matchs alternent avec des ateliers d'arbitrage, une randonnée "
            "commune et des soirées dans les familles d'accueil."
        ),
        objectives=(
            "Faire vivre le jumelage par le sport ; pratiquer {le_lang} au quotidien ; former de jeunes "
            "arbitres et animateurs ; préparer la visite retour des jeunes {de_partner} l'année suivante."
        ),
    ),
    dict(
        title="Chantier de jeunes : restauration du patrimoine {de_partner}",
        summary=(
            "Un chantier international réunit {youth} jeunes {de_commune} et {de_partner} autour de la "
            "restauration d'un lavoir et d'un sentier historique, avec une association de sauvegarde du "
            "patrimoine. Les matinées sont consacrées au chantier, les après-midi à la découverte de la "
            "ville jumelle et à des ateliers de langue."
        ),
        objectives=(
            "Apprendre les gestes des métiers du patrimoine ; travailler en équipe binationale ; découvrir "
            "l'histoire de la ville jumelle ; valoriser le chantier par une exposition dans les deux "
            "communes."
        ),
    ),
    dict(
        title="Rivières vivantes : chantier nature avec les jeunes {de_partner}",
        summary=(
            "{youth} jeunes {de_commune} et {de_partner} inventorient la faune et la flore des berges, "
            "nettoient un tronçon de rivière et construisent des nichoirs avec des naturalistes des deux "
            "pays. Le séjour se termine par une restitution publique devant les deux conseils municipaux de "
            "jeunes."
        ),
        objectives=(
            "Sensibiliser à la préservation de l'eau et de la biodiversité ; comparer les pratiques "
            "environnementales des deux territoires ; pratiquer {le_lang} sur le terrain ; voyager "
            "autrement."
        ),
    ),
    dict(
        title="Orchestre des jeunes jumelés : création musicale avec {partner}",
        summary=(
            "Les écoles de musique {de_commune} et {de_partner} réunissent {youth} jeunes musiciens pour "
            "écrire et répéter une création commune, jouée en concert de clôture sur la place de la ville "
            "jumelle. Chaque journée mêle répétitions, ateliers de chant traditionnel et vie collective."
        ),
        objectives=(
            "Créer une œuvre commune entre jeunes des deux villes ; découvrir le répertoire traditionnel du "
            "partenaire ; prendre confiance par la scène ; enregistrer le concert pour les familles et les "
            "écoles."
        ),
    ),
    dict(
        title="Mémoire et paix : parcours de jeunes entre {commune} et {partner}",
        summary=(
            "{youth} jeunes {de_commune} rejoignent ceux {de_partner} pour un parcours de mémoire : lieux "
            "d'histoire, rencontres avec des témoins et des historiens, ateliers d'écriture sur la paix et "
            "la réconciliation. Ensemble, ils réalisent une exposition bilingue présentée dans les deux "
            "communes."
        ),
        objectives=(
            "Transmettre l'histoire partagée des deux pays ; débattre de la paix et de la citoyenneté ; "
            "produire une exposition bilingue ; renforcer les liens entre les familles des deux villes."
        ),
    ),
    dict(
        title="Terroirs et cuisines : échange de jeunes avec {partner}",
        summary=(
            "Autour des produits des deux terroirs, {youth} jeunes {de_commune} et {de_partner} visitent des"
            " fermes et des marchés, cuisinent avec des producteurs et organisent un repas partagé ouvert "
            "aux habitants. Un carnet de recettes bilingue est édité à l'issue du séjour."
        ),
        objectives=(
            "Découvrir l'agriculture et l'alimentation du pays partenaire ; apprendre le vocabulaire de la "
            "cuisine en {lang} ; sensibiliser au gaspillage alimentaire ; éditer un carnet de recettes "
            "bilingue."
        ),
    ),
    dict(
        title="Théâtre en deux langues avec les jeunes {de_partner}",
        summary=(
            "Une compagnie de théâtre accompagne {youth} jeunes {de_commune} et {de_partner} dans l'écriture"
            " et la mise en scène d'une pièce bilingue sur l'amitié entre les deux villes. La pièce est "
            "jouée en fin de séjour devant les familles d'accueil, puis reprise lors de la visite retour."
        ),
        objectives=(
            "S'exprimer en public dans deux langues ; construire un projet artistique commun ; accueillir "
            "les jeunes du partenaire dans les familles ; préparer la visite retour."
        ),
    ),
    dict(
        title="Reportage croisé : les jeunes {de_commune} et {de_partner} racontent leurs villes",
        summary=(
            "En binômes, {youth} jeunes apprennent à filmer, interviewer et monter de courts reportages sur "
            "la vie quotidienne des jeunes {a_partner} ({in_country}). Les films sont diffusés sur les sites"
            " des deux communes et projetés lors d'une soirée publique."
        ),
        objectives=(
            "S'initier à l'éducation aux médias et à l'information ; découvrir la vie quotidienne des jeunes"
            " du pays partenaire ; pratiquer {le_lang} ; faire connaître le jumelage aux habitants."
        ),
    ),
    dict(
        title="Conseils de jeunes : {commune} et {partner} débattent de leur avenir",
        summary=(
            "Les membres du conseil municipal des jeunes {de_commune} retrouvent ceux {de_partner} pour "
            "{days} jours de débats, de visites d'institutions locales et de rencontres avec les élus. Ils "
            "rédigent ensemble des propositions sur la mobilité, l'environnement et les loisirs, remises aux"
            " deux maires."
        ),
        objectives=(
            "Former les jeunes à la participation citoyenne ; comparer le fonctionnement des collectivités "
            "des deux pays ; écrire des propositions communes ; inscrire le jumelage dans la durée."
        ),
    ),
    dict(
        title="Sur les chemins {de_partner} : itinérance et découverte",
        summary=(
            "{youth} jeunes {de_commune} et {de_partner} parcourent à pied les sentiers autour de la ville "
            "jumelle ({in_country}), avec des accompagnateurs diplômés. Chaque étape comprend une rencontre "
            "avec des habitants, un atelier de langue et un temps de bilan collectif."
        ),
        objectives=(
            "Découvrir un territoire par l'itinérance douce ; développer l'autonomie et l'entraide ; "
            "pratiquer {le_lang} en situation ; offrir à des jeunes un premier voyage à l'étranger."
        ),
    ),
    dict(
        title="Atelier robotique et numérique avec les jeunes {de_partner}",
        summary=(
            "Dans les fab labs des deux communes, {youth} jeunes {de_commune} et {de_partner} conçoivent et "
            "programment de petits robots, puis les présentent lors d'un défi amical. Les équipes sont "
            "binationales et travaillent en français et en {lang}."
        ),
        objectives=(
            "Découvrir les métiers du numérique ; travailler en équipe binationale ; lutter contre les "
            "stéréotypes filles-garçons dans les sciences ; préparer un défi commun lors de la visite "
            "retour."
        ),
    ),
    dict(
        title="Jeunes ruraux d'ici et d'ailleurs : échange entre {commune} et {partner}",
        summary=(
            "Ce séjour fait découvrir à {youth} jeunes {de_commune} les exploitations agricoles, l'artisanat"
            " et les associations {de_partner} ({in_country}). Les jeunes partagent le quotidien des "
            "familles d'accueil et comparent la vie des jeunes dans deux territoires ruraux."
        ),
        objectives=(
            "Ouvrir les jeunes ruraux à la mobilité internationale ; comparer les métiers et les modes de "
            "vie ruraux ; pratiquer {le_lang} ; renforcer les liens entre les associations des deux "
            "communes."
        ),
    ),
]


def phrase(theme: dict, **values) -> dict:
    """The theme's title, summary and objectives with the names filled in."""
    lang = values["lang"]
    # "pratiquer l'allemand", "pratiquer le polonais"
    first = unicodedata.normalize("NFKD", lang[:1]).encode("ascii", "ignore").decode().lower()
    values["le_lang"] = ("l'" if first and first in "aeiou" else "le ") + lang
    out = {k: v.format(**values) for k, v in theme.items()}
    out["title"] = out["title"][:200]
    return out


# ---- what the staff and the mayors write --------------------------------------------------------

MOTIVATIONS = {
    "request_corrections": [
        "La délibération jointe ne mentionne pas la part communale inscrite au budget ; merci de joindre "
        "la délibération complète et de détailler le programme jour par jour.",
        "Le programme ne précise pas les activités communes avec les jeunes du partenaire ni l'encadrement "
        "des mineurs la nuit ; merci de compléter les objectifs.",
    ],
    "resubmit": "Programme détaillé et délibération complète joints.",
    "declare_ineligible": [
        "Le projet présenté est un séjour touristique sans activité d'échange avec les jeunes de la ville "
        "partenaire : il ne relève pas de l'objet du fonds.",
        "La lettre d'engagement jointe émane d'une association privée et non de la collectivité partenaire : "
        "le jumelage requis n'est pas établi.",
    ],
    "reopen_instruction": (
        "Le partenaire a transmis un programme modifié (hébergement en familles) : l'instruction est "
        "reprise pour réévaluer le budget."
    ),
    "unfavourable": "Avis défavorable : programme d'échange trop peu développé au regard du coût du voyage.",
    "reject": [
        "Dossier classé sous le seuil de financement : la part des activités d'échange entre jeunes est trop "
        "faible au regard du coût du voyage.",
        "Le comité relève l'absence de réciprocité (aucune visite retour prévue) et un encadrement "
        "insuffisant des mineurs.",
    ],
    "withdraw": [
        "Projet reporté à l'an prochain : la ville partenaire ne peut pas accueillir le groupe aux dates "
        "prévues.",
        "Le conseil municipal a décidé de présenter un autre projet, plus ambitieux, pour cet appel.",
    ],
    "renounce": (
        "Le conseil municipal renonce au projet : la ville partenaire a annulé l'accueil du groupe cette "
        "année. La commune renonce à l'aide accordée."
    ),
    "approve_amended": (
        "Montant ramené par le comité : les frais d'hébergement sont surévalués au regard des nuitées en "
        "familles d'accueil."
    ),
    "defer": (
        "Le comité souhaite connaître l'avis de la ville partenaire sur les dates avant de se prononcer : "
        "examen reporté à la prochaine séance."
    ),
    "report": "Le projet s'est déroulé comme prévu : ",
    "report_reduced": (
        "Le groupe est parti moins nombreux que prévu (plusieurs désistements de dernière minute) et le "
        "séjour a été écourté ; les dépenses réelles sont bien inférieures au budget. "
    ),
}

#: the names under which mayors accept their convention
MAYOR_FIRST_NAMES = [
    "Marie",
    "Jean",
    "Isabelle",
    "Philippe",
    "Nathalie",
    "Pierre",
    "Sylvie",
    "Michel",
    "Catherine",
    "Alain",
    "Valérie",
    "Patrick",
    "Sandrine",
    "Éric",
    "Christine",
    "Laurent",
    "Véronique",
    "Thierry",
]
MAYOR_LAST_NAMES = [
    "Martin",
    "Bernard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "Roux",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupuis",
    "Lambert",
    "Fontaine",
]
