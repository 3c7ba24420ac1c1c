"""Build the commune referential file from Etalab's ``communes.json``.

cd /tmp && npm pack @etalab/decoupage-administratif@6.0.0 && tar xzf etalab-decoupage-administratif-6.0.0.tgz
python manage.py build_communes_fixture --from /tmp/package/data/communes.json
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fonds.formats import number
from fonds.referentiel.importer import (
    CURRENT_TYPE,
    ETALAB_PACKAGE,
    LICENCE,
    CommuneFileError,
    default_fixture_path,
    read_communes_file,
    records_from_etalab,
    write_communes_file,
)

#: the figures quoted by the règlement (REGLEMENT.md, "Population figures come from …")
REGLEMENT_CURRENT_COMMUNES = 34_969
REGLEMENT_AT_MOST_3500 = 31_679
POPULATION_THRESHOLD = 3_500


def sidecar_path(output: Path) -> Path:
    """``fixtures/communes.tsv.gz`` → ``fixtures/communes.SOURCE.md``."""
    return output.with_name(output.name.split(".", 1)[0] + ".SOURCE.md")


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path(settings.BASE_DIR).resolve()))
    except ValueError:
        return str(path)


class Command(BaseCommand):
    help = (
        "Construit le fichier du référentiel des communes (TSV compressé) à partir du communes.json "
        f"du paquet npm {ETALAB_PACKAGE}, et sa notice de provenance (*.SOURCE.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from", dest="source", required=True, help="chemin de package/data/communes.json"
        )
        parser.add_argument(
            "-o",
            "--output",
            default=None,
            help=f"fichier produit (défaut : {_display(default_fixture_path())})",
        )
        parser.add_argument(
            "--source-version",
            default=None,
            help="version du paquet npm (défaut : lue dans le package.json voisin de data/)",
        )
        parser.add_argument("--no-sidecar", action="store_true", help="ne pas écrire la notice *.SOURCE.md")

    def handle(self, *args, source, output, source_version, no_sidecar, **options):
        source = Path(source)
        output = Path(output) if output else default_fixture_path()
        try:
            raw = source.read_bytes()
        except OSError as exc:
            raise CommandError(f"Lecture impossible de « {source} » : {exc.strerror or exc}") from exc
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"« {source} » n'est pas un fichier JSON UTF-8 valide : {exc}") from exc
        if not isinstance(data, list):
            raise CommandError(
                f"« {source} » doit contenir une liste de communes (format communes.json d'Etalab)."
            )

        version = source_version or self._package_version(source)
        try:
            records = records_from_etalab(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise CommandError(f"Entrée inattendue dans « {source} » : {exc!r}") from exc
        if not records:
            raise CommandError(f"Aucune commune de type « {CURRENT_TYPE} » dans « {source} ».")

        has_coordinates = any(r.latitude is not None for r in records)
        metadata = {
            "source": f"{ETALAB_PACKAGE} {version} (npm), data/communes.json, type {CURRENT_TYPE}",
            "licence": LICENCE,
            "population": "population municipale INSEE (PMUN) telle que fournie par le paquet",
            "coordonnees": "mairie ou centre fournis par le paquet"
            if has_coordinates
            else "absentes du paquet source (colonnes vides)",
            "reconstruction": "python manage.py build_communes_fixture --from package/data/communes.json "
            f"(voir {sidecar_path(output).name})",
        }
        write_communes_file(records, output, metadata)
        try:
            written = read_communes_file(output)  # the file must pass the importer's own checks
        except CommuneFileError as exc:
            raise CommandError(f"Le fichier produit ne passe pas la validation : {exc}") from exc

        counts = self._counts(written.records)
        self.stdout.write(
            f"{_display(output)} : {number(counts['total'])} communes actuelles, "
            f"dont {number(counts['small'])} de {number(POPULATION_THRESHOLD)} habitants ou moins "
            f"({output.stat().st_size // 1024} Kio, {ETALAB_PACKAGE} {version})."
        )
        if counts["total"] != REGLEMENT_CURRENT_COMMUNES or counts["small"] != REGLEMENT_AT_MOST_3500:
            self.stdout.write(
                self.style.WARNING(
                    f"Écart avec le règlement ({number(REGLEMENT_CURRENT_COMMUNES)} communes, "
                    f"{number(REGLEMENT_AT_MOST_3500)} ≤ {number(POPULATION_THRESHOLD)}) : "
                    f"{counts['total'] - REGLEMENT_CURRENT_COMMUNES:+d} / "
                    f"{counts['small'] - REGLEMENT_AT_MOST_3500:+d}."
                )
            )
        if not no_sidecar:
            path = sidecar_path(output)
            path.write_text(
                self._sidecar(
                    output,
                    source_sha=hashlib.sha256(raw).hexdigest(),
                    file_sha=written.sha256,
                    version=version,
                    counts=counts,
                    has_coordinates=has_coordinates,
                ),
                encoding="utf-8",
            )
            self.stdout.write(f"Notice de provenance : {_display(path)}")

    @staticmethod
    def _package_version(source: Path) -> str:
        package_json = source.resolve().parent.parent / "package.json"
        try:
            package = json.loads(package_json.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return "inconnue"
        if package.get("name") != ETALAB_PACKAGE:
            return "inconnue"
        return str(package.get("version") or "inconnue")

    @staticmethod
    def _counts(records) -> dict:
        zones = Counter(r.zone for r in records)
        return {
            "total": len(records),
            "small": sum(
                1 for r in records if r.population is not None and r.population <= POPULATION_THRESHOLD
            ),
            "no_population": sum(1 for r in records if r.population is None),
            "no_siren": sum(1 for r in records if not r.siren),
            "with_coordinates": sum(1 for r in records if r.latitude is not None),
            "zones": zones,
            "no_population_codes": [f"{r.code} {r.name}" for r in records if r.population is None],
        }

    def _sidecar(self, output: Path, *, source_sha, file_sha, version, counts, has_coordinates) -> str:
        tarball = f"etalab-decoupage-administratif-{version}.tgz"
        size = output.stat().st_size
        zones = counts["zones"]
        no_pop = ", ".join(counts["no_population_codes"]) or "aucune"
        today = dt.datetime.now(dt.UTC).date().isoformat()
        gap_total = counts["total"] - REGLEMENT_CURRENT_COMMUNES
        gap_small = counts["small"] - REGLEMENT_AT_MOST_3500
        coordinates = (
            f"{number(counts['with_coordinates'])} communes ont des coordonnées."
            if has_coordinates
            else "Le paquet ne fournit **aucune coordonnée** : "
            "les colonnes `latitude` et `longitude` sont vides."
        )
        source = (
            f"paquet npm `{ETALAB_PACKAGE}`, version **{version}**, "
            f"fichier `data/communes.json` (SHA-256 `{source_sha}`)"
        )
        selection = (
            f"entrées de type `{CURRENT_TYPE}` uniquement "
            "(ni communes déléguées, ni associées, ni arrondissements municipaux)"
        )
        small = f"{number(counts['small'])} | {number(REGLEMENT_AT_MOST_3500)} ({gap_small:+d})"
        by_zone = " / ".join(number(zones.get(zone, 0)) for zone in ("metro", "drom", "com"))
        return f"""# Référentiel des communes — provenance

Fichier : `{_display(output)}` ({number(size)} octets, SHA-256 `{file_sha}`)

| | |
|---|---|
| source | {source} |
| données d'origine | INSEE : Code officiel géographique et populations légales ; DGCL : SIREN des communes |
| licence | {LICENCE} |
| extrait le | {today} |
| sélection | {selection} |
| population | population **municipale** INSEE (`PMUN`) telle que publiée par le paquet |

## Contenu

TSV UTF-8 compressé en gzip ; lignes de commentaire `# clé: valeur` (provenance, nombre de lignes
contrôlé à l'import), puis l'en-tête `code name departement region zone population siren latitude longitude`.

| contrôle | fichier | règlement (REGLEMENT.md) |
|---|---|---|
| communes actuelles | {number(counts["total"])} | {number(REGLEMENT_CURRENT_COMMUNES)} ({gap_total:+d}) |
| population ≤ {number(POPULATION_THRESHOLD)} | {small} |
| zone metro / drom / com | {by_zone} | — |
| sans population | {counts["no_population"]} ({no_pop}) | — |
| sans SIREN | {counts["no_siren"]} | — |

{coordinates}

## Reconstruire

```sh
cd /tmp && npm pack {ETALAB_PACKAGE}@{version} && tar xzf {tarball}
cd <racine du projet>
python manage.py build_communes_fixture --from /tmp/package/data/communes.json -o {_display(output)}
python manage.py import_communes {_display(output)}
```

Le fichier produit est reproductible octet pour octet à partir de la même version du paquet
(gzip sans nom ni horodatage). Pour un nouveau millésime, changer la version dans `npm pack`
(voir le tableau « Millésimes et versions de package » du README du paquet), reconstruire,
relire cette notice et committer les deux fichiers.
"""
