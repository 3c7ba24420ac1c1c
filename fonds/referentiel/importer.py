"""The commune referential file (``fixtures/communes.tsv.gz``): build it from Etalab's data, read it.

UTF-8, optionally gzip, tab-separated: ``# key: value`` provenance comments (``# lignes: N`` is
checked: truncation), a header naming ``COLUMNS``, one line per current commune (region,
population, siren and coordinates may be empty). Reading never touches the database;
``upsert.upsert_communes`` writes in one transaction, so a bad file changes nothing.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import zlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings

COLUMNS = ("code", "name", "departement", "region", "zone", "population", "siren", "latitude", "longitude")
UPDATABLE_FIELDS = COLUMNS[1:]
ZONES = ("metro", "drom", "com")
ETALAB_PACKAGE = "@etalab/decoupage-administratif"
CURRENT_TYPE = "commune-actuelle"
LICENCE = "Licence Ouverte / Open Licence (Etalab) pour les données ; code du paquet sous licence MIT"
MAX_ERRORS = 20
MAX_NAME_LENGTH = 120
MAX_POPULATION = 2_147_483_647
COORD_QUANTUM = Decimal("0.000001")

CODE_RE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")
DEPARTEMENT_RE = re.compile(r"^(?:\d{2}|2[AB]|9[78]\d)$")
REGION_RE = re.compile(r"^\d{2,3}$")
SIREN_RE = re.compile(r"^\d{9}$")
POPULATION_RE = re.compile(r"^\d+$")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
DROM_DEPARTEMENTS = frozenset({"971", "972", "973", "974", "976"})


def default_fixture_path() -> Path:
    return Path(settings.BASE_DIR) / "fixtures" / "communes.tsv.gz"


def expected_zone(departement: str) -> str:
    """metro for the 96 metropolitan départements, drom for 971–974 and 976, com otherwise."""
    if len(departement) == 2:
        return "metro"
    return "drom" if departement in DROM_DEPARTEMENTS else "com"


@dataclass(frozen=True)
class CommuneRecord:
    code: str
    name: str
    departement: str
    region: str
    zone: str
    population: int | None
    siren: str
    latitude: Decimal | None
    longitude: Decimal | None

    def model_kwargs(self) -> dict:
        return {name: getattr(self, name) for name in COLUMNS}  # dataclasses.asdict deep-copies: 10x slower


@dataclass
class CommuneFile:
    records: list[CommuneRecord]
    metadata: dict[str, str] = field(default_factory=dict)
    sha256: str = ""

    def __len__(self):
        return len(self.records)

    def count_population_at_most(self, limit: int) -> int:
        return sum(1 for r in self.records if r.population is not None and r.population <= limit)


class CommuneFileError(Exception):
    """A malformed commune file. ``errors`` lists (line number or None, message)."""

    def __init__(self, errors: list[tuple[int | None, str]], *, path=None, truncated: bool = False):
        self.errors = errors
        self.path = path
        self.truncated = truncated
        super().__init__(self.render())

    @property
    def lines(self) -> list[int]:
        return [line for line, _ in self.errors if line is not None]

    def render(self) -> str:
        where = f" « {self.path} »" if self.path else ""
        details = [f"ligne {line} : {message}" if line else message for line, message in self.errors]
        if self.truncated:
            details.append(f"(arrêt après {MAX_ERRORS} erreurs)")
        if len(details) == 1:
            return f"Fichier de communes{where} refusé — {details[0]}"
        return f"Fichier de communes{where} refusé ({len(self.errors)} erreurs) :\n" + "\n".join(
            f"  - {d}" for d in details
        )


# --- reading ----------------------------------------------------------------------------------


def _decompress(raw: bytes, path) -> bytes:
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise CommuneFileError([(None, f"archive gzip illisible ou tronquée ({exc})")], path=path) from exc


def _decode_lines(data: bytes, path) -> list[str]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines = []
    for number, raw_line in enumerate(data.split(b"\n"), start=1):
        if raw_line.endswith(b"\r"):
            raw_line = raw_line[:-1]
        try:
            lines.append(raw_line.decode("utf-8"))
        except UnicodeDecodeError as exc:
            byte = raw_line[exc.start : exc.start + 1].hex()
            raise CommuneFileError(
                [
                    (
                        number,
                        f"encodage invalide : octet 0x{byte} en colonne {exc.start + 1} — "
                        "le fichier doit être en UTF-8",
                    )
                ],
                path=path,
            ) from exc
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _split(line: str, delimiter: str) -> list[str]:
    if '"' not in line:
        return line.split(delimiter)
    return next(csv.reader([line], delimiter=delimiter, strict=True))


def _parse_coordinate(value: str, label: str, bound: int) -> tuple[Decimal | None, str | None]:
    if value == "":
        return None, None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None, f"{label} « {value} » n'est pas un nombre décimal"
    if not number.is_finite() or not -bound <= number <= bound:
        return None, f"{label} « {value} » hors de l'intervalle [-{bound}, {bound}]"
    return number.quantize(COORD_QUANTUM), None


def _parse_row(values: dict[str, str]) -> tuple[CommuneRecord | None, list[str]]:
    problems: list[str] = []
    code = values["code"].strip()
    name = values["name"].strip()
    departement = values["departement"].strip()
    region = values["region"].strip()
    zone = values["zone"].strip()
    population_text = values["population"].strip()
    siren = values["siren"].strip()

    if not CODE_RE.match(code):
        problems.append(
            f"code INSEE « {code} » invalide (5 caractères : chiffres, ou 2A/2B suivi de 3 chiffres)"
        )
    if not name:
        problems.append("nom de commune vide")
    elif len(name) > MAX_NAME_LENGTH:
        problems.append(f"nom de commune trop long ({len(name)} caractères, {MAX_NAME_LENGTH} au plus)")
    elif CONTROL_RE.search(name):
        problems.append("nom de commune contenant un caractère de contrôle")
    if not DEPARTEMENT_RE.match(departement):
        problems.append(f"département « {departement} » invalide")
    elif CODE_RE.match(code) and not code.startswith(departement):
        problems.append(f"le code INSEE {code} ne commence pas par le département {departement}")
    if region and not REGION_RE.match(region):
        problems.append(f"région « {region} » invalide (2 ou 3 chiffres)")
    if zone not in ZONES:
        problems.append(f"zone « {zone} » inconnue (valeurs admises : {', '.join(ZONES)})")
    elif DEPARTEMENT_RE.match(departement) and zone != expected_zone(departement):
        problems.append(
            f"zone « {zone} » incohérente avec le département {departement} "
            f"(attendu : {expected_zone(departement)})"
        )
    population = None
    if population_text:
        if not POPULATION_RE.match(population_text):
            problems.append(f"population « {population_text} » non numérique (entier positif attendu)")
        else:
            population = int(population_text)
            if population > MAX_POPULATION:
                problems.append(f"population {population} hors limites")
    if siren and not SIREN_RE.match(siren):
        problems.append(f"SIREN « {siren} » invalide (9 chiffres)")
    latitude, problem = _parse_coordinate(values["latitude"].strip(), "latitude", 90)
    if problem:
        problems.append(problem)
    longitude, problem = _parse_coordinate(values["longitude"].strip(), "longitude", 180)
    if problem:
        problems.append(problem)
    if (latitude is None) != (longitude is None) and not problems:
        problems.append("latitude et longitude doivent être renseignées ensemble")
    if problems:
        return None, problems
    return CommuneRecord(code, name, departement, region, zone, population, siren, latitude, longitude), []


def read_communes_file(path: str | Path) -> CommuneFile:
    """Read and fully validate a commune file; raise ``CommuneFileError`` listing the bad lines."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise CommuneFileError([(None, "fichier introuvable")], path=path) from exc
    except OSError as exc:
        raise CommuneFileError([(None, f"lecture impossible ({exc.strerror})")], path=path) from exc
    digest = hashlib.sha256(raw).hexdigest()
    lines = _decode_lines(_decompress(raw, path), path)

    errors: list[tuple[int | None, str]] = []
    metadata: dict[str, str] = {}
    records: list[CommuneRecord] = []
    seen: dict[str, int] = {}
    header: list[str] | None = None
    header_line = 0
    delimiter = "\t"

    def fail(line, message) -> None:
        errors.append((line, message))
        if len(errors) >= MAX_ERRORS:
            raise CommuneFileError(errors, path=path, truncated=True)

    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if line.startswith("#"):
            if header is None and ":" in line:
                key, _, value = line[1:].partition(":")
                metadata[key.strip().lower()] = value.strip()
            continue
        if header is None:
            header_line = number
            delimiter = next((d for d in ("\t", ";", ",") if d in line), "\t")
            try:
                header = [h.strip().lower() for h in _split(line, delimiter)]
            except csv.Error as exc:
                raise CommuneFileError([(number, f"en-tête illisible ({exc})")], path=path) from exc
            missing = [c for c in COLUMNS if c not in header]
            unknown = [h for h in header if h not in COLUMNS]
            duplicated = sorted({h for h in header if header.count(h) > 1})
            problems = []
            if missing:
                problems.append(f"colonne(s) manquante(s) dans l'en-tête : {', '.join(missing)}")
            if unknown:
                problems.append(f"colonne(s) inconnue(s) dans l'en-tête : {', '.join(unknown)}")
            if duplicated:
                problems.append(f"colonne(s) en double dans l'en-tête : {', '.join(duplicated)}")
            if problems:
                raise CommuneFileError(
                    [(number, p) for p in problems] + [(None, f"colonnes attendues : {', '.join(COLUMNS)}")],
                    path=path,
                )
            continue
        try:
            fields = _split(line, delimiter)
        except csv.Error as exc:
            fail(number, f"ligne illisible ({exc})")
            continue
        if len(fields) != len(header):
            fail(
                number,
                f"{len(fields)} champ(s) au lieu des {len(header)} attendus "
                f"(séparateur : {'tabulation' if delimiter == chr(9) else delimiter})",
            )
            continue
        record, problems = _parse_row(dict(zip(header, fields)))
        for problem in problems:
            fail(number, problem)
        if record is None:
            continue
        if record.code in seen:
            fail(number, f"code INSEE {record.code} en double (déjà présent ligne {seen[record.code]})")
            continue
        seen[record.code] = number
        records.append(record)

    if header is None:
        raise CommuneFileError([(None, "fichier vide : aucun en-tête de colonnes")], path=path)
    if not errors and not records:
        errors.append((header_line, "aucune commune après l'en-tête"))
    declared = metadata.get("lignes")
    if not errors and declared is not None:
        if not declared.isdigit():
            errors.append((None, f"commentaire « lignes » non numérique : {declared}"))
        elif int(declared) != len(records):
            errors.append(
                (
                    None,
                    f"le fichier annonce {declared} communes mais en contient {len(records)} "
                    "(fichier tronqué ?)",
                )
            )
    if errors:
        raise CommuneFileError(errors, path=path)
    return CommuneFile(records=records, metadata=metadata, sha256=digest)


# --- building the file from Etalab's data ---------------------------------------------------


def _point(entry) -> tuple[Decimal | None, Decimal | None]:
    """Coordinates of a GeoJSON point ``{"type": "Point", "coordinates": [lon, lat]}``, if any."""
    if not isinstance(entry, dict):
        return None, None
    coordinates = entry.get("coordinates")
    if not isinstance(coordinates, (list, tuple)) or len(coordinates) < 2:
        return None, None
    lon, lat = (Decimal(str(v)).quantize(COORD_QUANTUM) for v in coordinates[:2])
    return lat, lon


def records_from_etalab(communes: list[dict]) -> list[CommuneRecord]:
    """The current communes of Etalab's ``communes.json``, sorted by code.

    The package (up to 6.0.0 at least) carries no coordinates; should a later version add a
    ``mairie`` or ``centre`` GeoJSON point, it is used (town hall first).
    """
    records = []
    for c in communes:
        if c.get("type") != CURRENT_TYPE:
            continue
        lat, lon = _point(c.get("mairie"))
        if lat is None:
            lat, lon = _point(c.get("centre"))
        population = c.get("population")
        records.append(
            CommuneRecord(
                code=c["code"],
                name=c["nom"],
                departement=c["departement"],
                region=c.get("region") or "",
                zone=c["zone"],
                population=int(population) if population is not None else None,
                siren=c.get("siren") or "",
                latitude=lat,
                longitude=lon,
            )
        )
    records.sort(key=lambda r: r.code)
    return records


def _cell(value) -> str:
    if value is None:
        return ""
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    if any(ch in text for ch in '\t\r\n"'):
        raise ValueError(f"valeur impossible à écrire en TSV : {text!r}")
    return text


def render_communes_file(records: list[CommuneRecord], metadata: dict[str, str]) -> bytes:
    """The TSV text (not compressed), metadata first as ``# key: value`` comments."""
    out = io.StringIO()
    for key, value in metadata.items():
        out.write(f"# {key}: {value}\n")
    out.write(f"# lignes: {len(records)}\n")
    out.write("\t".join(COLUMNS) + "\n")
    for r in records:
        out.write("\t".join(_cell(getattr(r, c)) for c in COLUMNS) + "\n")
    return out.getvalue().encode("utf-8")


def write_communes_file(records: list[CommuneRecord], path: str | Path, metadata: dict[str, str]) -> Path:
    """Write the file; gzip (reproducible: no name, no timestamp) when the name ends in ``.gz``."""
    path = Path(path)
    data = render_communes_file(records, metadata)
    if path.suffix == ".gz":
        buffer = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
            gz.write(data)
        data = buffer.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
