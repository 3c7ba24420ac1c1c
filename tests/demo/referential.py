"""A small referential for the demo's tests: 55 metropolitan communes of 260 to 3,480 inhabitants,
5 overseas, and 7 that the demo must never pick (6 too big, 1 without a SIREN)."""

from __future__ import annotations

from fonds.referentiel.models import Commune
from tests.factories import fake_siren

BIG = ["75056", "33063", "44184", "01004", "97411", "35001"]
OVERSEAS = ["97101", "97201", "97301", "98701", "98801"]


def small_referential() -> None:
    rows = []
    for i in range(55):
        dep = f"{1 + i % 89:02d}"
        rows.append((f"{dep}{100 + i:03d}", f"Bourg-{i}", dep, "84", "metro", 260 + (i * 59) % 3221))
    for code, dep, region, zone in [
        ("97101", "971", "01", "drom"),
        ("97201", "972", "02", "drom"),
        ("97301", "973", "03", "drom"),
        ("98701", "987", "987", "com"),
        ("98801", "988", "988", "com"),
    ]:
        rows.append((code, f"Commune d'outre-mer {code}", dep, region, zone, 900 + int(code[-1]) * 100))
    rows += [
        ("75056", "Paris", "75", "11", "metro", 2_113_705),
        ("33063", "Bordeaux", "33", "75", "metro", 261_804),
        ("44184", "Saint-Nazaire", "44", "52", "metro", 72_299),
        ("01004", "Ambérieu-en-Bugey", "01", "84", "metro", 14_514),
        ("97411", "Saint-Denis", "974", "04", "drom", 153_810),
        ("35001", "Acigné", "35", "53", "metro", 3_501),
    ]
    Commune.objects.bulk_create(
        Commune(
            code=code,
            name=name,
            departement=dep,
            region=region,
            zone=zone,
            population=pop,
            siren=fake_siren(code),
        )
        for code, name, dep, region, zone, pop in rows
    )
    Commune.objects.create(
        code="98611",
        name="Sans SIREN",
        departement="986",
        region="986",
        zone="com",
        population=1200,
        siren="",
    )
