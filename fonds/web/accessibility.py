"""The accessibility statement (déclaration d'accessibilité, RGAA 4.1 model) read from the results of
the browser suite: ``docs/accessibilite/axe-results.json``, written by
``FJJ_AXE_RESULTS=1 pytest tests/browser`` (docs/accessibilite/README.md).

Automated tests cover part of the RGAA only: without a complete audit the RGAA requires the site to
be declared « non conforme », whatever axe-core finds; the statement says so, and gives the tests'
results, the pages checked and the contents not checked."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.conf import settings

from fonds import formats

RESULTS = Path(settings.BASE_DIR) / "docs" / "accessibilite" / "axe-results.json"
CONTACT = getattr(settings, "FJJ_ACCESSIBILITY_CONTACT", "accessibilite@jumelages-jeunesse.example.fr")
#: RGAA: « non conforme » without a complete audit; automated tests are not one
STATUS = "non conforme"
IMPACTS = {
    "critical": "critique",
    "serious": "grave",
    "moderate": "modérée",
    "minor": "mineure",
    None: "non précisée",
}
#: the axe-core rules most often met, in French, with their RGAA criterion
RULES = {
    "color-contrast": "Contraste du texte insuffisant (critère 3.2)",
    "scrollable-region-focusable": "Zone défilante inaccessible au clavier (critère 7.3)",
    "label": "Champ de formulaire sans étiquette (critère 11.1)",
    "duplicate-id": "Identifiant en double (critère 8.2)",
    "duplicate-id-aria": "Identifiant référencé en double (critère 8.2)",
    "link-name": "Lien sans intitulé (critère 6.2)",
    "button-name": "Bouton sans intitulé (critère 11.9)",
    "image-alt": "Image sans alternative textuelle (critère 1.1)",
    "aria-allowed-attr": "Attribut ARIA non autorisé (critère 7.1)",
    "list": "Liste mal structurée (critère 9.3)",
    "listitem": "Élément de liste hors d'une liste (critère 9.3)",
    "heading-order": "Hiérarchie des titres (critère 9.1)",
    "html-has-lang": "Langue de la page absente (critère 8.3)",
    "document-title": "Titre de page absent (critère 8.5)",
}
#: what the automated tests do not check (RGAA: contents not verified)
NOT_CHECKED = [
    "les documents PDF établis par le fonds (récépissé, lettres de décision, convention, procès-verbal, "
    "historique du dossier) : leur structure n'a pas été vérifiée pour les lecteurs d'écran ;",
    "les pièces déposées par les communes (délibérations, conventions de jumelage, RIB), qui relèvent "
    "de leurs auteurs ;",
    "les critères du RGAA qu'un outil automatique ne peut juger (pertinence des alternatives, des titres, "
    "des messages d'erreur, ordre de lecture…), qu'un audit complet devra évaluer.",
]

_cache: dict = {}


def load(path: Path | None = None) -> dict | None:
    """The results file (read again when it changes), None when the suite never wrote it."""
    path = path or RESULTS
    try:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
    except FileNotFoundError:
        return None
    if _cache.get("key") != (str(path), stamp):
        _cache.update(key=(str(path), stamp), data=json.loads(path.read_text(encoding="utf-8")))
    return _cache["data"]


def _rule(rule_id: str) -> str:
    return RULES.get(rule_id, f"Règle automatique « {rule_id} »")


def _page(check: dict) -> str:
    """The page's name in a check's label (« Mes dossiers — 375 px » → « Mes dossiers »)."""
    return check["label"].removesuffix(f" — {check.get('width')} px")


def statement(path: Path | None = None) -> dict:
    """What the statement page prints: status, tests' results, failures, pages checked."""
    data = load(path)
    if data is None:
        return {"status": STATUS, "results": None, "contact": CONTACT, "not_checked": NOT_CHECKED}
    checks = data.get("checks", [])
    failures: dict[str, dict] = {}
    for check in checks:
        for violation in check.get("violations", []):
            row = failures.setdefault(
                violation["id"],
                {
                    "rule": _rule(violation["id"]),
                    "impact": IMPACTS.get(violation.get("impact"), "non précisée"),
                    "pages": [],
                },
            )
            where = f"{_page(check)} ({check['width']} px)"
            if where not in row["pages"]:
                row["pages"].append(where)
    pages = sorted({_page(check) for check in checks})
    failed_checks = sum(1 for check in checks if check.get("violations"))
    return {
        "status": STATUS,
        "contact": CONTACT,
        "not_checked": NOT_CHECKED,
        "results": {
            "date": formats.long_date(dt.date.fromisoformat(data["generated_on"])),
            "tool": data.get("tool", "axe-core"),
            "browser": data.get("browser", ""),
            "widths": " et ".join(f"{formats.number(w)} px" for w in data.get("widths", [])),
            "checks": len(checks),
            "passed_checks": formats.number(len(checks) - failed_checks),
            "failures": sorted(failures.values(), key=lambda row: row["rule"]),
            "pages": pages,
            "rules_passed": formats.number(max((check.get("passes", 0) for check in checks), default=0)),
        },
    }
