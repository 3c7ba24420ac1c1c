"""E1 (a current commune of 3,500 inhabitants at most) and E2 (a twinning with a town abroad)."""

from __future__ import annotations

from fonds.formats import inhabitants, number, short_date

from .base import FAIL, PASS, Outcome, _outcome, _params, rule

# ---- E1 — a current commune of 3,500 inhabitants at most --------------------------------------


@rule("E1")
def e1_small_commune(dossier, ruleset, *, at, context=None) -> Outcome:
    """E1: the applicant is a commune of the referential whose population ≤ ``max_population``.

    "Current" means present in the referential with ``is_current`` true (a commune absent from
    the latest imported COG — merged into a commune nouvelle — is kept for history but fails).
    An unknown population is a failure: the fund cannot check the threshold. The population
    used is the one stored in the referential (the import loads the INSEE figure in force).
    """
    limit = int(_params(ruleset)["max_population"])
    commune = dossier.commune if dossier.commune_id else None
    data = {"commune": dossier.commune_id, "max_population": limit, "population": None}
    if commune is None:
        return Outcome(
            "E1",
            FAIL,
            "Le dossier n'est rattaché à aucune commune du référentiel officiel (code officiel "
            "géographique).",
            "Choisissez votre commune dans la liste : seules les communes existantes au code officiel "
            "géographique peuvent déposer.",
            data,
        )
    is_current = bool(getattr(commune, "is_current", True))
    data.update(commune_name=commune.name, population=commune.population, is_current=is_current)
    if not is_current:
        return Outcome(
            "E1",
            FAIL,
            f"{commune.name} ({commune.code}) ne figure plus au code officiel géographique en vigueur "
            "(fusion ou commune nouvelle).",
            "Déposez le dossier au nom de la commune actuelle (commune nouvelle issue de la fusion) ; en cas "
            "d'erreur, contactez le service du fonds.",
            data,
        )
    if commune.population is None:
        return Outcome(
            "E1",
            FAIL,
            f"La population de {commune.name} n'est pas connue dans le référentiel : le seuil de "
            f"{inhabitants(limit)} ne peut pas être vérifié.",
            "Contactez le service du fonds pour faire compléter la population INSEE de votre commune.",
            data,
        )
    if commune.population > limit:
        return Outcome(
            "E1",
            FAIL,
            f"{commune.name} compte {inhabitants(commune.population)} ; le fonds est réservé aux communes de "
            f"{inhabitants(limit)} au plus.",
            "Ce fonds n'est pas ouvert à votre commune. Un projet porté par une commune plus petite de votre "
            "territoire (par exemple une commune voisine jumelée) peut être déposé par celle-ci.",
            data,
        )
    return Outcome(
        "E1",
        PASS,
        f"{commune.name} compte {inhabitants(commune.population)} (seuil : {number(limit)}).",
        "",
        data,
    )


# ---- E2 — a twinning with a town abroad ---------------------------------------------------------


@rule("E2")
def e2_twinning_abroad(dossier, ruleset, *, at, context=None) -> Outcome:
    """E2: a jumelage of *this* commune with a partner town outside France, with an agreement
    date or a letter of intent (agreement being signed).

    A jumelage that belongs to another commune fails (it cannot support this commune's project).
    """
    jumelage = dossier.jumelage if dossier.jumelage_id else None
    if jumelage is None:
        return Outcome(
            "E2",
            FAIL,
            "Aucun jumelage ni partenariat avec une collectivité étrangère n'est indiqué dans le dossier.",
            "Indiquez la ville partenaire (jumelage ou partenariat) dans la rubrique « Jumelage » du "
            "dossier.",
            {"jumelage": None},
        )
    partner = jumelage.partner
    country = (partner.country or "").strip().upper()
    data = {
        "jumelage": jumelage.pk,
        "partner": partner.name,
        "country": country,
        "agreement_date": jumelage.agreement_date.isoformat() if jumelage.agreement_date else None,
        "letter_of_intent": bool(jumelage.letter_of_intent),
        "jumelage_commune": jumelage.commune_id,
    }
    problems = []
    if jumelage.commune_id != dossier.commune_id:
        problems.append(
            (
                f"Le jumelage indiqué ({partner.name}) n'est pas celui de votre commune.",
                "Choisissez un jumelage de votre propre commune.",
            )
        )
    if not country or country == "FR":
        problems.append(
            (
                f"La ville partenaire {partner.name} doit être située hors de France (pays indiqué : "
                f"{country or 'aucun'}).",
                "Indiquez une collectivité partenaire située à l'étranger, avec son pays.",
            )
        )
    if not jumelage.agreement_date and not jumelage.letter_of_intent:
        problems.append(
            (
                "Ni la date de la convention de jumelage ni une lettre d'intention ne sont indiquées.",
                "Indiquez la date de signature de la convention de jumelage, ou cochez « lettre d'intention "
                "» si la convention est en cours de signature.",
            )
        )
    basis = (
        f"convention du {short_date(jumelage.agreement_date)}"
        if jumelage.agreement_date
        else "lettre d'intention"
    )
    return _outcome("E2", problems, data, f"Jumelage avec {partner.name} ({country}), {basis}.")
