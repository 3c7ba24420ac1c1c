#!/usr/bin/env python
"""Server CPU per request of the pages of the load test (issue 8), in the production profile.

    createdb -h 127.0.0.1 -U postgres fjj_cpu -T fjj_bench_hb       # a copy of the seeded data set
    export FJJ_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fjj_cpu  # FJJ_VAR_DIR or --tmp: kept
    .venv/bin/python bench/bench_pages_cpu.py --runs 30 2>/dev/null  # JSON request logs on stderr
    .venv/bin/python bench/bench_pages_cpu.py --profile "GET agenda item" 2>/dev/null
    .venv/bin/python bench/bench_pages_cpu.py --only "agenda item" --sql  # FJJ_BENCH_FULL_SQL=1: untruncated
    .venv/bin/python bench/bench_pages_cpu.py --only "agenda item" --trace referentiel_ruleset

The pages and the sign-in of bench/load/locustfile.py, through the Django test Client in this
process, with the settings gunicorn gets from bench/bench_load.py (FJJ_DEBUG=0: cached templates,
hashed static files, JSON request logs at INFO) and its accounts (bench_load.setup, reused).
Signing in goes through the real pages: password, then the TOTP code for agents. For each page:
median CPU time of this process (time.process_time) per request over --runs requests after a
warm-up, and the query count. A POST counts with the page it redirects to, as locust follows
redirects. CPU time is the server's own work: the machine's load hardly changes it, unlike wall
time. It prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import os
import pstats
import random
import re
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import common  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fonds.settings")


def profile_env(var: Path) -> dict:
    """The production profile of bench_load.py's gunicorn (plain HTTP, generous rate limits)."""
    return {
        "FJJ_DEBUG": "0",
        "FJJ_SECRET_KEY": secrets.token_urlsafe(50),
        "FJJ_ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "FJJ_SSL_REDIRECT": "0",
        "FJJ_SECURE_COOKIES": "0",
        "FJJ_STATIC_ROOT": str(var / "static"),
        "FJJ_VAR_DIR": str(var),
        "FJJ_LOG_LEVEL": "WARNING",
        "FJJ_LOGIN_RATE": "100000",
        "FJJ_API_USER_RATE": "100000/minute",
    }


CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf(response) -> str:
    match = CSRF_RE.search(response.content.decode())
    return match.group(1) if match else ""


def measure(run, runs: int, profile: bool = False, sql: bool = False):
    """Median CPU ms of ``run()`` over ``runs`` calls (after one warm-up) and the query count of one more."""
    from bench_bulk import server_cpu  # the PostgreSQL backend's CPU: the database's share of each request
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    run()
    backend = server_cpu(connection)
    cpu = []
    profiler = cProfile.Profile(time.process_time) if profile else None  # CPU time, not waits on the database
    for _ in range(runs):
        began = time.process_time()
        if profiler:
            profiler.enable()
        run()
        if profiler:
            profiler.disable()
        cpu.append((time.process_time() - began) * 1000)
    after = server_cpu(connection)
    pg_ms = (after - backend) * 1000 / runs if backend is not None and after is not None else float("nan")
    with CaptureQueriesContext(connection) as queries:
        run()
    if sql:
        for query in queries.captured_queries:
            sql_text = query["sql"]
            print("    " + (sql_text if os.environ.get("FJJ_BENCH_FULL_SQL") else sql_text[:300]))
    return statistics.median(cpu), min(cpu), pg_ms, len(queries), profiler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=lambda v: max(1, int(v)), default=30)
    parser.add_argument(
        "--only", default="", help="mesurer seulement les pages dont le nom contient ce texte"
    )
    parser.add_argument(
        "--profile", default="", help="nom (ou partie du nom) d'une page : top 20 cProfile (temps cumulé)"
    )
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--sql", action="store_true", help="afficher les requêtes SQL de chaque page mesurée")
    parser.add_argument(
        "--trace",
        default="",
        help="afficher d'où viennent (pile, code du projet) les requêtes SQL qui contiennent ce texte",
    )
    common.add_options(parser, tmp=True, keep=False)
    args = parser.parse_args()
    # FJJ_VAR_DIR / --tmp: an existing folder is used and kept (its collected static files are
    # reused); by default a new temp folder, removed at exit
    var = common.temp_dir("fjj-cpu", args.tmp or os.environ.get("FJJ_VAR_DIR"))
    for key, value in profile_env(var).items():
        os.environ.setdefault(key, value)
    common.report()

    static = Path(os.environ["FJJ_STATIC_ROOT"])
    if not (static / "staticfiles.json").exists():
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True
        )

    import django

    django.setup()
    import bench_load
    from bench_instruction import machine
    from django.conf import settings
    from django.core.cache import cache
    from django.test import Client
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert not settings.DEBUG
    plan = bench_load.setup(
        common.temp_dir("fjj-cpu-plan") / "plan.json", porteurs=2, instructors=2, members=2, items=5
    )
    password = plan["password"]
    porteur, instructor, member = plan["porteurs"][0], plan["instructors"][0], plan["members"][0]

    def sign_in(client, email, key=None):
        page = client.get("/connexion/")
        response = client.post(
            "/connexion/",
            {"username": email, "password": password, "csrfmiddlewaretoken": csrf(page)},
            follow=True,
        )
        if key:
            TOTPDevice.objects.filter(user__email=email).update(last_t=-1)  # a code may serve once per step
            user_pk = response.wsgi_request.user.pk
            cache.delete(
                f"fjj-rl:otp:{user_pk}:127.0.0.1:{int(time.time() // 60)}"
            )  # 10 codes a minute per agent
            response = client.post(
                "/compte/double-authentification/",
                {"code": f"{totp(bytes.fromhex(key)):06d}", "csrfmiddlewaretoken": csrf(response)},
                follow=True,
            )
        assert response.status_code == 200 and response.wsgi_request.user.is_authenticated, (
            email,
            response.status_code,
        )
        return response

    clients = {}
    for name, account in (("porteur", porteur), ("instructeur", instructor), ("comite", member)):
        clients[name] = Client()
        sign_in(clients[name], account["email"], account.get("totp_key"))

    def get(who, url):
        def run():
            response = clients[who].get(url)
            assert response.status_code == 200, (url, response.status_code)

        return run

    def post(who, form_url, url, data):
        """The POST and the page it redirects to (the CSRF token is read once, on the warm-up)."""
        token = {}

        def run():
            if who not in token:
                token[who] = csrf(clients[who].get(form_url))
            response = clients[who].post(
                url, {**(data() if callable(data) else data), "csrfmiddlewaretoken": token[who]}, follow=True
            )
            assert response.status_code == 200 and len(response.redirect_chain) == 1, (
                url,
                response.status_code,
                response.redirect_chain,
            )

        return run

    dossier = porteur["dossier"]
    versions = itertools.count(random.randint(1, 10**6))  # a changed title each time, as in the locustfile
    step = f"/depot/dossiers/{dossier}/etapes/projet/"
    # the page read and the dossier noted: two dossiers under instruction without notes, so that
    # every run renders the same amount (each note adds a note and an audit event to its page)
    from fonds.dossiers.models import Dossier
    from fonds.dossiers.states import Status
    from fonds.instruction.models import PrivateNote

    noted = PrivateNote.objects.values("dossier_id")
    pk, noted_pk = (
        Dossier.objects.filter(status=Status.IN_INSTRUCTION)
        .exclude(pk__in=noted)
        .order_by("pk")
        .values_list("pk", flat=True)[:2]
    )
    session, item = plan["session"], plan["items"][0]
    item_url = f"/comite/seances/{session}/dossiers/{item}/"
    pages = [
        ("GET /depot/ (Mes dossiers)", get("porteur", "/depot/")),
        ("GET step projet", get("porteur", step)),
        (
            "POST step projet (autosave) + redirect",
            post(
                "porteur",
                step,
                step,
                lambda: {
                    "title": f"Échange de jeunes — version {next(versions)}",
                    "summary": "Une semaine d'échanges avec notre ville jumelle.",
                    "objectives": "Découvrir, partager.",
                    "start_date": "",
                    "end_date": "",
                    "activity_days": "",
                    "action": "stay",
                },
            ),
        ),
        ("GET step budget", get("porteur", f"/depot/dossiers/{dossier}/etapes/budget/")),
        ("GET check page", get("porteur", f"/depot/dossiers/{dossier}/verification/")),
        ("GET /instruction/ (queues)", get("instructeur", "/instruction/")),
        (
            "GET instruction list p.1",
            get("instructeur", "/instruction/dossiers/?status=submitted&sort=commune&page=1"),
        ),
        (
            "GET instruction list p.500",
            get("instructeur", "/instruction/dossiers/?status=submitted&sort=commune&page=500"),
        ),
        ("GET instruction dossier page", get("instructeur", f"/instruction/dossiers/{pk}/")),
        (
            "POST private note + redirect",
            post(
                "instructeur",
                f"/instruction/dossiers/{noted_pk}/",
                f"/instruction/dossiers/{noted_pk}/notes/",
                {"body": "Vérifier la délibération."},
            ),
        ),
        ("GET committee session", get("comite", f"/comite/seances/{session}/")),
        ("GET agenda item", get("comite", item_url)),
        (
            "POST vote + redirect",
            post("comite", item_url, item_url + "vote/", {"moi-choice": "pour", "prefixe": "moi"}),
        ),
    ]

    fresh = Client()  # one client (its handler loads the middleware once, like a gunicorn worker)

    def sign_in_porteur():
        fresh.cookies.clear()
        sign_in(fresh, porteur["email"])

    def sign_in_agent():
        fresh.cookies.clear()
        sign_in(fresh, instructor["email"], instructor["totp_key"])

    pages += [
        ("sign-in porteur (GET+POST /connexion/ + redirect)", sign_in_porteur),
        ("sign-in agent (+ TOTP page + redirect)", sign_in_agent),
    ]

    print(
        f"== CPU serveur par requête, profil de production (DEBUG={settings.DEBUG}, sessions "
        f"{settings.SESSION_ENGINE.rsplit('.', 1)[-1]}, "
        f"hasher {settings.PASSWORD_HASHERS[0].rsplit('.', 1)[-1]}) · "
        f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} "
        f"{settings.DATABASES['default']['NAME']}"
    )
    print(
        f"   {machine()} · {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {args.runs} requêtes par "
        "page"
    )
    print(f"{'page':52} {'CPU méd.':>9} {'CPU min':>8} {'CPU PG':>8} {'requêtes':>9}")
    if args.trace:
        import traceback

        from django.db import connection

        def tracer(execute, sql, params, many, context):
            if args.trace in sql:
                frames = [
                    f"{Path(f.filename).relative_to(ROOT)}:{f.lineno} {f.name}"
                    for f in traceback.extract_stack()
                    if str(ROOT / "fonds") in f.filename or str(ROOT / "workflows") in f.filename
                ]
                print(f"    {sql[:80]}…\n      " + "\n      ".join(frames[-6:]))
            return execute(sql, params, many, context)

        connection.execute_wrappers.append(tracer)
    for name, run in pages:
        if args.only and args.only.lower() not in name.lower():
            continue
        profile = bool(args.profile) and args.profile.lower() in name.lower()
        median, low, pg_ms, queries, profiler = measure(run, args.runs, profile, args.sql)
        print(f"{name:52} {median:7.1f} ms {low:6.1f} ms {pg_ms:6.1f} ms {queries:9d}", flush=True)
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
            print(out.getvalue())
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
            print(out.getvalue())
    print(f"   charge machine après : {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
