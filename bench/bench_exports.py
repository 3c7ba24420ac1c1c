#!/usr/bin/env python
"""Benchmark of the exports (issue 7). Prints figures; it is not a test.

Decision export (target: CSV of 100,000 dossiers ≤ 5 s and ≤ 50 MB of extra peak RSS), side by
side with django-import-export exporting the same rows (installed by the ``bench`` extra) and
with PostgreSQL ``COPY`` (the floor):

    # PostgreSQL: an own database with the realistic set (issue 19: every side table filled,
    # so all 46 columns have values): createdb; migrate; `manage.py seed_bench --campaigns 5`
    FJJ_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_seed19 \
        .venv/bin/python bench/bench_exports.py --part decisions --dossiers 100000
    # SQLite: the same on a copy of a seeded FJJ_VAR_DIR (the 46-column cases are PostgreSQL only)

``--dossiers N``: every case exports the same first N exportable dossiers. ``ours_csv`` is the
product's export (53 columns: the 46 below, the labels and 6 processing times); ``ours_csv_46``
the same code on the 46 columns that ``copy_46`` (a ``COPY`` of one SQL query computing them,
``bench/export_sql.py``) and ``import_export_46`` (django-import-export fed that query's rows)
compute: the ratios of the 46-column cases are taken against ``ours_csv_46``; the 12-column cases
(``ours_plain``, ``import_export``, ``copy``) compare writers on the dossier's own columns.
django-import-export is in the ``bench`` extra, not in the product.

Audit trail (target: export and offline verification of 1,000,000 events ≤ 15 s each): a
dedicated database filled with 1,000,000 chained events (bench_audit_verify's loader), exported
with ``fonds.reporting.audit_export`` (what ``manage.py export_audit`` runs), then the file is
checked by ``scripts/verify_audit_export.py`` in a separate process:

    .venv/bin/python bench/bench_exports.py --part audit --events 1000000 [--backend postgres]
    # a unique database (or SQLite file) dropped at exit; --keep: fjj_bench_hf_audit, kept and
    # reused next time; --db-name NAME: that database; --tmp: the folder of the decision files

Each measured case runs in its own process: wall time, CPU time of the process
(``time.process_time``, plus the database server's for PostgreSQL is not counted), and peak RSS
above the RSS at the start of the case (``/proc/self/clear_refs`` resets the high-water mark,
then ``VmHWM`` − ``VmRSS``). The load average is printed: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import common  # noqa: E402


def django_setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fonds.settings")
    os.environ["FJJ_DEBUG"] = "0"
    import django

    django.setup()
    from fonds.startup import freeze_startup

    freeze_startup()  # as the web and worker processes that run the exports do


PLAIN_COLUMNS = (
    "reference",
    "campaign__name",
    "commune__name",
    "commune__code",
    "commune__population",
    "commune__departement",
    "commune__region",
    "status",
    "assessment__score_total",
    "requested_amount",
    "proposed_amount",
    "approved_amount",
)


def _max_id() -> int | None:
    """The highest dossier id of the first ``FJJ_BENCH_EXPORT_DOSSIERS`` exported dossiers (the
    ``--dossiers`` option): every case exports the same rows."""
    limit = int(os.environ.get("FJJ_BENCH_EXPORT_DOSSIERS") or 0)
    if not limit:
        return None
    from fonds.reporting import exports

    ids = exports.selection()[0].order_by("pk").values_list("pk", flat=True)
    return ids[limit - 1 : limit].get() if ids[limit - 1 : limit].exists() else None


def _selection():
    from fonds.reporting import exports

    qs = exports.selection()[0]
    max_id = _max_id()
    return qs.filter(pk__lte=max_id) if max_id else qs


# ---- cases (each in its own process) ---------------------------------------------------------


def case_ours_csv(out: str) -> dict:
    from fonds.reporting import exports

    qs = _selection()
    list(qs.values_list("pk")[:1])  # connection and first query outside the measure
    with common.Measure() as m, open(out, "wb") as fh:
        counter = exports._Counter(())
        for chunk in exports.csv_stream(qs, "csv", counter=counter):
            fh.write(chunk)
    return m.as_dict(
        rows=counter.count,
        bytes=os.path.getsize(out),
        columns=len(__import__("fonds.reporting.decisions", fromlist=["x"]).columns(qs)),
    )


def case_ours_csv_46(out: str) -> dict:
    """Our CSV on the 46 columns that ``copy_46`` and ``import_export_46`` compute: the export's
    columns less the labels and the processing times (not in ``export_sql``), same rows, same
    writer as ``csv_stream``."""
    import export_sql

    from fonds.reporting import decisions, formats

    qs = _selection()
    cols = [c for c in decisions.columns(qs) if c.key != "etiquettes" and not c.key.startswith("delai_")]
    assert [c.key for c in cols] == export_sql.columns(), "not the columns of export_sql"
    list(qs.values_list("pk")[:1])
    with common.Measure() as m, open(out, "wb") as fh:
        counter = 0
        for chunk in formats.csv_chunks(cols, decisions.iter_rows(qs, cols)):
            fh.write(chunk)
            counter += chunk.count(b"\r\n")
    return m.as_dict(rows=counter - 1, bytes=os.path.getsize(out), columns=len(cols))


def case_ours_file(out: str, fmt: str) -> dict:
    from fonds.reporting import exports

    qs = _selection()
    list(qs.values_list("pk")[:1])
    with common.Measure() as m, open(out, "wb") as fh:
        rows = exports.write_decisions(fh, qs, fmt)
    return m.as_dict(rows=rows, bytes=os.path.getsize(out))


def case_import_export(out: str) -> dict:
    from import_export import resources

    from fonds.dossiers.models import Dossier

    class DossierResource(resources.ModelResource):
        class Meta:
            model = Dossier
            fields = PLAIN_COLUMNS
            export_order = PLAIN_COLUMNS

    qs = _selection().select_related("campaign", "commune", "assessment")
    list(qs.values_list("pk")[:1])
    with common.Measure() as m:
        dataset = DossierResource().export(queryset=qs)
        data = dataset.csv
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(data)
    return m.as_dict(rows=len(dataset), bytes=os.path.getsize(out), columns=len(PLAIN_COLUMNS))


def case_import_export_46(out: str) -> dict:
    """django-import-export on the 46 columns, fed the rows of the one-query SQL of ``export_sql``
    (the database computes every column, import-export reads and formats them)."""
    from django.db import connection
    from import_export import fields, resources

    if connection.vendor != "postgresql":
        return {"skipped": "SQL à une requête : PostgreSQL seulement"}
    import export_sql

    names = export_sql.columns()

    class DecisionResource(resources.Resource):
        class Meta:
            export_order = names

    for name in names:
        DecisionResource.fields[name] = fields.Field(attribute=f"c_{name}", column_name=name)
    sql = export_sql.query(_max_id(), with_id=True)
    connection.ensure_connection()
    with common.Measure() as m:
        # one execution of the query, its rows as objects (a raw queryset runs it twice)
        with connection.cursor() as cursor:
            cursor.execute(sql)
            keys = [col.name for col in cursor.description]
            rows = [SimpleNamespace(**dict(zip(keys, row, strict=True))) for row in cursor.fetchall()]
        dataset = DecisionResource().export(queryset=rows)
        data = dataset.csv
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(data)
    return m.as_dict(rows=len(dataset), bytes=os.path.getsize(out), columns=len(names))


def case_copy_46(out: str) -> dict:
    """``COPY`` of the 46-column query of ``export_sql`` (the floor for the full export)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return {"skipped": "COPY: PostgreSQL seulement"}
    import export_sql

    sql = f"COPY ({export_sql.query(_max_id())}) TO STDOUT WITH (FORMAT csv, HEADER)"
    connection.ensure_connection()
    with common.Measure() as m, open(out, "wb") as fh:
        with connection.connection.cursor() as cursor:
            with cursor.copy(sql) as copy:
                for block in copy:
                    fh.write(block)
    rows = sum(1 for _ in open(out, "rb")) - 1
    return m.as_dict(rows=rows, bytes=os.path.getsize(out), columns=len(export_sql.columns()))


def case_ours_plain(out: str) -> dict:
    """Our CSV writer on the same plain columns as import-export and COPY (for a like-for-like ratio)."""
    from fonds.reporting import formats
    from fonds.reporting.decisions import Column

    qs = _selection()
    kinds = [
        "text",
        "text",
        "text",
        "text",
        "int",
        "text",
        "text",
        "text",
        "int",
        "decimal",
        "decimal",
        "decimal",
    ]
    cols = [Column(k, k, kind) for k, kind in zip(PLAIN_COLUMNS, kinds)]
    list(qs.values_list("pk")[:1])
    with common.Measure() as m, open(out, "wb") as fh:
        rows = 0
        it = (list(r) for r in qs.values_list(*PLAIN_COLUMNS).iterator(chunk_size=2000))
        for chunk in formats.csv_chunks(cols, it):
            fh.write(chunk)
    rows = sum(1 for _ in open(out, "rb")) - 1
    return m.as_dict(rows=rows, bytes=os.path.getsize(out), columns=len(PLAIN_COLUMNS))


def case_copy(out: str) -> dict:
    from django.db import connection

    from fonds.dossiers.models import Dossier
    from fonds.instruction.models import Assessment
    from fonds.referentiel.models import Campaign, Commune

    if connection.vendor != "postgresql":
        return {"skipped": "COPY: PostgreSQL seulement"}
    d, c, cm, a = (model._meta.db_table for model in (Dossier, Campaign, Commune, Assessment))
    max_id = _max_id()
    limit = f" AND d.id <= {int(max_id)}" if max_id else ""
    sql = (
        "COPY (SELECT d.reference, c.name, cm.name, cm.code, cm.population, cm.departement, cm.region, "
        "d.status, "
        f"a.score_total, d.requested_amount, d.proposed_amount, d.approved_amount FROM {d} d "
        f"JOIN {c} c ON c.id = d.campaign_id JOIN {cm} cm ON cm.code = d.commune_id "
        f"LEFT JOIN {a} a ON a.dossier_id = d.id WHERE d.status <> 'draft'{limit} ORDER BY d.id) "
        "TO STDOUT WITH "
        "(FORMAT csv, HEADER)"
    )
    connection.ensure_connection()
    with common.Measure() as m, open(out, "wb") as fh:
        with connection.connection.cursor() as cursor:
            with cursor.copy(sql) as copy:
                for block in copy:
                    fh.write(block)
    rows = sum(1 for _ in open(out, "rb")) - 1
    return m.as_dict(rows=rows, bytes=os.path.getsize(out), columns=len(PLAIN_COLUMNS))


def case_audit_export(out: str) -> dict:
    from fonds.reporting import audit_export

    audit_export.head()
    with common.Measure() as m, open(out, "wb") as fh:
        lines = audit_export.write_export(fh)
    return m.as_dict(rows=lines, bytes=os.path.getsize(out))


CASES = {
    "ours_csv": case_ours_csv,
    "ours_csv_46": case_ours_csv_46,
    "ours_plain": case_ours_plain,
    "import_export": case_import_export,
    "copy": case_copy,
    "import_export_46": case_import_export_46,
    "copy_46": case_copy_46,
    "ours_xlsx": lambda out: case_ours_file(out, "xlsx"),
    "ours_ods": lambda out: case_ours_file(out, "ods"),
    "audit_export": case_audit_export,
}


def run_case(name: str, out: str, env: dict | None = None) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, "--case", name, "--out", out],
        capture_output=True,
        text=True,
        env=env or os.environ.copy(),
        timeout=1800,
    )
    if proc.returncode != 0:
        return {
            "error": proc.stderr.strip().splitlines()[-1]
            if proc.stderr.strip()
            else f"exit {proc.returncode}"
        }
    return json.loads(proc.stdout.strip().splitlines()[-1])


def verify_file(path: str, strict: bool) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    script = str(ROOT / "scripts" / "verify_audit_export.py")
    argv = [script, path] + (["--strict"] if strict else [])
    # the verifier's own peak RSS: VmHWM (ru_maxrss survives execve and would count the forked parent)
    wrapper = (
        "import resource, runpy, sys\n"
        f"sys.argv = {argv!r}\n"
        "code = 0\n"
        "try:\n    runpy.run_path(sys.argv[0], run_name='__main__')\n"
        "except SystemExit as exc:\n    code = exc.code\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0].split()[1]\n"
        "print('RSS', hwm, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    proc = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True, timeout=1800)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    rss = next((int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("RSS ")), 0)
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "peak_rss_mb": round(rss / 1024, 1),
        "exit": proc.returncode,
        "output": proc.stdout.strip()[:160],
    }


def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def fmt(name: str, r: dict) -> str:
    if "error" in r or "skipped" in r:
        return f"  {name:<16} {r.get('error') or r.get('skipped')}"
    extra = (
        f"  +{r['extra_rss_mb']} MB RSS" if "extra_rss_mb" in r else f"  pic {r.get('peak_rss_mb')} MB RSS"
    )
    rows = f"  {r['rows']} lignes" if "rows" in r else ""
    size = f"  {r['bytes'] / 2**20:.1f} Mo" if "bytes" in r else ""
    return f"  {name:<16} mur {r['wall_s']:>7.2f} s  CPU {r['cpu_s']:>7.2f} s{extra}{rows}{size}"


def part_decisions(args) -> None:
    django_setup()
    from django.db import connection

    print(f"Base : {connection.vendor} {connection.settings_dict['NAME']} — charge {load()}")
    tmp = str(common.temp_dir("fjj-bench-exports", args.tmp))
    common.report()
    results = {}
    for name in args.cases.split(","):
        results[name] = run_case(name, os.path.join(tmp, f"{name}.out"))
        print(fmt(name, results[name]) + f"   (charge {load()})", flush=True)
    ours = results.get("ours_csv", {})
    ours_46 = results.get("ours_csv_46", {})
    plain = results.get("ours_plain", {})
    for other in ("import_export_46", "copy_46"):
        r = results.get(other, {})
        if "wall_s" in r and "wall_s" in ours_46:
            print(
                f"  ratio {other} / notre CSV (mêmes {r.get('columns')} colonnes, mêmes lignes) : "
                f"{r['wall_s'] / ours_46['wall_s']:.2f} (mur)"
            )
        if "wall_s" in r and "wall_s" in ours:
            print(
                f"  ratio {other} / notre CSV complet ({ours.get('columns')} colonnes, mêmes lignes) : "
                f"{r['wall_s'] / ours['wall_s']:.2f} (mur)"
            )
    for other in ("import_export", "copy"):
        r = results.get(other, {})
        if "wall_s" in r and "wall_s" in plain:
            print(
                f"  ratio {other} / notre CSV (mêmes {r.get('columns')} colonnes) : "
                f"{r['wall_s'] / plain['wall_s']:.2f} (mur)"
            )
        if "wall_s" in r and "wall_s" in ours:
            print(
                f"  ratio {other} / notre CSV complet ({ours.get('columns')} colonnes) : "
                f"{r['wall_s'] / ours['wall_s']:.2f} (mur)"
            )
    common.cleanup()


def part_audit(args) -> None:
    import bench_audit_verify as bav

    # --keep: the fixed fjj_bench_hf_audit, reused by the next --keep run; else a unique one, dropped
    ns = argparse.Namespace(
        backend=args.backend,
        pg_url=args.pg_url,
        reuse=args.keep,
        keep=args.keep,
        db_name=args.db_name,
        tmp=None,
    )
    where, cleanup = bav.setup_database(ns, db_name="fjj_bench_hf_audit")
    django_setup()
    from django.core.management import call_command
    from django.db import connection

    from fonds.audit.models import ChainHead

    call_command("migrate", verbosity=0)
    head = ChainHead.objects.filter(pk=1).values_list("last_seq", flat=True).first() or 0
    if head != args.events:
        if head:
            print(f"{where} : {head} événements au lieu de {args.events} — base recréée")
            name = connection.settings_dict["NAME"]
            connection.close()
            if args.backend == "sqlite":
                Path(name).unlink()
            else:
                common.drop_database(args.pg_url, name)
                common.postgres_database(args.pg_url, name, reuse=True)  # created again, kept
            call_command("migrate", verbosity=0)
        t0 = time.perf_counter()
        bav.load(args.events)
        print(f"{where} : {args.events} événements chargés en {time.perf_counter() - t0:.1f} s")
    connection.close()
    env = os.environ.copy()
    out = str(common.temp_file("fjj_bench_hf_audit", ".jsonl"))
    print(f"Base : {where} — charge {load()}")
    for run in range(args.runs):
        r = run_case("audit_export", out, env)
        print(fmt(f"export #{run + 1}", r) + f"   (charge {load()})", flush=True)
    for strict in (False, True):
        for run in range(args.runs):
            r = verify_file(out, strict)
            print(
                fmt(f"vérif{' --strict' if strict else ''} #{run + 1}", r)
                + f"  sortie {r['exit']}   (charge {load()})",
                flush=True,
            )
    print(f"  {r['output']}")
    os.unlink(out)
    cleanup()  # what --keep keeps was never registered for removal


def main() -> int:
    parser = argparse.ArgumentParser(description="Banc d'essai des exports (issue 7)")
    parser.add_argument("--case", choices=sorted(CASES), help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--part", choices=["decisions", "audit"], default="decisions")
    parser.add_argument(
        "--cases",
        default="ours_csv,ours_csv_46,copy_46,import_export_46,ours_plain,import_export,copy,ours_xlsx,ours_ods",
    )
    parser.add_argument(
        "--dossiers",
        type=int,
        default=0,
        help="exporter les N premiers dossiers exportables (0 : tous) — 100000 pour la cible",
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="garder la base d'audit (fjj_bench_hf_audit) et la réutiliser à la mesure suivante",
    )
    common.add_options(parser, db_name=True, tmp=True)
    args = parser.parse_args()
    if args.dossiers:
        os.environ["FJJ_BENCH_EXPORT_DOSSIERS"] = str(args.dossiers)
    if args.case:
        django_setup()
        print(json.dumps(CASES[args.case](args.out)))
        return 0
    print(
        f"Machine : {platform.node()} — {os.cpu_count()} cœurs — Python {platform.python_version()} — charge "
        f"{load()}"
    )
    if args.part == "decisions":
        part_decisions(args)
    else:
        part_audit(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
