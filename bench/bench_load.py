"""Load test (issue 8): porteurs editing drafts, instructors browsing and taking notes, a committee
voting — against gunicorn on this machine, with the 100,000-dossier data set of `seed_bench`.

    pip install -e '.[bench]'                      # locust
    export FJJ_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fjj_bench   # seeded with seed_bench
    .venv/bin/python bench/bench_load.py --users 100 --duration 90 --workers 5
    # defaults share the machine: a free port (--port), an empty Redis database flushed at the end
    # (--redis-db / --cache-url), a temp folder removed at the end (--tmp); the data set is the
    # database of FJJ_DATABASE_URL (a copy of it: setup() adds accounts and a committee session)

Steps: (1) setup in the database: passwords and TOTP devices for the accounts used (bench
accounts only, `@bench.fjj.fr`), a committee session of 10 members sitting with votes open on
30 dossiers already `in_committee` (agenda items written directly: a bench fixture, not the
product's path); (2) collectstatic, gunicorn in the production profile (FJJ_DEBUG=0, one JSON
log line per request as in production, sessions and cache in Redis (`--cache-url`, FJJ_CACHE_URL),
cookies not Secure because the test speaks plain HTTP on localhost); (3) locust headless
(FastHttpUser: the load generator shares the cores); (4) figures: requests/s, p50/p95/p99 and
failures, overall and per request type, for the steady state: users arrive at --spawn-rate per
second (each signs in once: Argon2id password hash and TOTP), statistics are reset once all are
in (locust --reset-stats), then --duration seconds.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import common  # noqa: E402

PASSWORD = "bench-load-2026"


def setup(plan_path: Path, porteurs: int, instructors: int, members: int, items: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fonds.settings")
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from fonds import clock
    from fonds.accounts.models import User
    from fonds.accounts.roles import Role
    from fonds.celery import app
    from fonds.comite import composition
    from fonds.comite import convocation as comite_convocation
    from fonds.comite import errors as comite_errors
    from fonds.comite import sessions as comite_sessions
    from fonds.comite import sitting as comite_sitting
    from fonds.comite import votes as comite_votes
    from fonds.comite.models import AgendaItem, Session
    from fonds.dossiers.models import Dossier
    from fonds.dossiers.states import Status

    app.conf.task_always_eager = True  # convocation emails sent inline by this script
    hashed = make_password(PASSWORD)

    def agent(email, role):
        user, _ = User.objects.get_or_create(email=email, defaults={"username": email})
        user.password = hashed
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        key = secrets.token_hex(20)
        TOTPDevice.objects.filter(user=user).delete()
        TOTPDevice.objects.create(user=user, name="bench", key=key, confirmed=True)
        return user, key

    drafts = list(
        Dossier.objects.filter(status=Status.DRAFT, created_by__email__endswith="@bench.fjj.fr").values_list(
            "pk", "created_by_id"
        )[:porteurs]
    )
    User.objects.filter(pk__in=[u for _, u in drafts]).update(password=hashed)
    porteur_rows = [
        {"email": e, "dossier": pk} for pk, e in ((pk, User.objects.get(pk=u).email) for pk, u in drafts)
    ]

    instructor_rows = []
    pool = list(
        Dossier.objects.filter(status=Status.IN_INSTRUCTION).values_list("pk", flat=True)[: instructors * 20]
    )
    for i in range(instructors):
        user, key = agent(f"load-instructeur-{i}@bench.fjj.fr", Role.INSTRUCTEUR)
        instructor_rows.append(
            {"email": user.email, "totp_key": key, "dossiers": pool[i::instructors] or pool[:1]}
        )

    admin, _ = agent("load-admin@bench.fjj.fr", Role.ADMIN)
    people = [agent(f"load-comite-{i}@bench.fjj.fr", Role.COMITE) for i in range(members)]
    chair = people[0][0]
    in_committee = list(Dossier.objects.filter(status=Status.IN_COMMITTEE).select_related("campaign")[:items])
    campaign = in_committee[0].campaign
    in_committee = [d for d in in_committee if d.campaign_id == campaign.pk]
    appointed = set(composition.appointed(campaign).values_list("member_id", flat=True))
    missing = [u for u, _ in people if u.pk not in appointed]
    if missing:  # the session convenes the campaign's composition: the bench's members
        composition.appoint(campaign, by=admin, members=missing)
    session = comite_sessions.create_session(
        campaign,
        by=admin,
        starts_at=timezone.now() + dt.timedelta(days=6),
        chair=chair,
        place="Salle du conseil (banc d'essai)",
    )
    for rank, d in enumerate(in_committee, start=1):
        AgendaItem.objects.create(
            session=session,
            dossier=d,
            rank=rank,
            proposed_amount=d.proposed_amount or 5000,
            amount=d.proposed_amount or 5000,
        )
    comite_convocation.send_convocation(session, by=admin)
    clock.travel_to(session.starts_at)  # a session opens at its scheduled start (this process only)
    comite_sitting.open_sitting(session, by=chair)
    comite_sitting.record_attendance(session, by=chair, presence={u.pk: "present" for u, _ in people})
    opened = []
    for item in session.items.all():
        try:
            comite_votes.open_vote(item, by=chair)
            opened.append(item.pk)
        except comite_errors.ComiteRefused as exc:
            print(f"  vote non ouvert sur l'élément {item.pk} : {exc}")
    plan = {
        "password": PASSWORD,
        "porteurs": porteur_rows,
        "instructors": instructor_rows,
        "members": [{"email": u.email, "totp_key": k} for u, k in people],
        "session": session.pk,
        "items": opened,
    }
    plan_path.write_text(json.dumps(plan))
    assert Session.objects.get(pk=session.pk).status == Session.Status.SITTING
    return plan


def wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:  # noqa: BLE001
            time.sleep(0.5)
    raise SystemExit(f"le serveur ne répond pas : {url}")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument(
        "--spawn-rate",
        type=float,
        default=5,
        help="utilisateurs connectés par seconde pendant la montée en charge",
    )
    parser.add_argument(
        "--duration",
        type=int,
        default=60,
        help=(
            "secondes de charge stable, une fois tous les utilisateurs connectés "
            "(statistiques remises à zéro à ce moment)"
        ),
    )
    parser.add_argument("--workers", type=int, default=5, help="workers gunicorn")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--porteurs", type=int, default=60)
    parser.add_argument("--instructors", type=int, default=20)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--items", type=int, default=30)
    common.add_options(parser, port=True, redis_db=True, cache_url=True, tmp=True, keep=False)
    args = parser.parse_args()
    if shutil.which("locust", path=str(Path(sys.executable).parent)) is None:
        raise SystemExit("locust absent : pip install -e '.[bench]'")

    work = common.temp_dir("fjj-load", args.tmp)
    port = args.port or common.free_port()
    common.used("port", str(port))
    args.cache_url = common.shared_cache_url(args)
    common.report()
    plan_path = work / "plan.json"
    print(f"== préparation ({os.environ.get('FJJ_DATABASE_URL', 'SQLite')})")
    started = time.perf_counter()
    plan = setup(plan_path, args.porteurs, args.instructors, args.members, args.items)
    print(
        f"   {len(plan['porteurs'])} porteurs, {len(plan['instructors'])} instructeurs, "
        f"{len(plan['members'])} membres, {len(plan['items'])} votes ouverts "
        f"({time.perf_counter() - started:.1f} s)"
    )

    env = {
        **os.environ,
        "FJJ_DEBUG": "0",
        "FJJ_SECRET_KEY": secrets.token_urlsafe(50),
        "FJJ_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "FJJ_SSL_REDIRECT": "0",
        "FJJ_SECURE_COOKIES": "0",
        "FJJ_STATIC_ROOT": str(work / "static"),
        "FJJ_LOG_LEVEL": "WARNING",
        "FJJ_LOGIN_RATE": "100000",
        "FJJ_API_USER_RATE": "100000/minute",
        "FJJ_LOAD_PLAN": str(plan_path),
        "FJJ_LOAD_WORKING": str(work / "working.json"),
        "FJJ_CACHE_URL": args.cache_url,
    }
    bindir = Path(sys.executable).parent
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(bindir / "gunicorn"),
            "fonds.wsgi",
            "-w",
            str(args.workers),
            "--threads",
            str(args.threads),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        wait_for(base + "/connexion/")
        load_before = os.getloadavg()
        print(
            f"== charge : {args.users} utilisateurs, {args.duration} s, gunicorn -w {args.workers} --threads "
            f"{args.threads}, cache {args.cache_url or 'aucun (sessions en base)'} ; charge machine avant "
            f"{load_before[0]:.1f}"
        )
        subprocess.run(
            [
                str(bindir / "locust"),
                "-f",
                str(ROOT / "bench" / "load" / "locustfile.py"),
                "--headless",
                "-u",
                str(args.users),
                "-r",
                str(args.spawn_rate),
                "-t",
                f"{args.duration + int(args.users / args.spawn_rate)}s",
                "--reset-stats",
                "--host",
                base,
                "--csv",
                str(work / "stats"),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
            check=False,
        )
        load_after = os.getloadavg()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    rows = list(csv.DictReader(open(work / "stats_stats.csv")))
    print(f"\n{'requête':46} {'n':>7} {'échecs':>7} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6}  (ms)")
    for row in rows:
        print(
            f"{row['Name'][:46]:46} {row['Request Count']:>7} {row['Failure Count']:>7} "
            f"{float(row['Requests/s']):7.1f} {row['50%']:>6} {row['95%']:>6} {row['99%']:>6}"
        )
    total = next(r for r in rows if r["Name"] == "Aggregated")
    print(
        f"\nTOTAL : {float(total['Requests/s']):.1f} req/s, p50 {total['50%']} ms, p95 {total['95%']} ms, "
        f"p99 {total['99%']} ms, "
        f"{total['Failure Count']} échec(s) sur {total['Request Count']} ; charge machine (1 min) après : "
        f"{load_after[0]:.1f} ; cible p95 ≤ 300 ms à 100 utilisateurs, zéro erreur"
    )
    working = json.load(open(work / "working.json"))
    times = sorted(working["times"])
    if times:
        pct = lambda q: times[min(len(times) - 1, int(q * len(times)))]  # noqa: E731
        print(
            f"HORS CONNEXION (connexion + code TOTP, une fois par utilisateur, exclues) : {len(times)} "
            "requêtes, "
            f"p50 {pct(0.50):.0f} ms, p95 {pct(0.95):.0f} ms, p99 {pct(0.99):.0f} ms, {working['errors']} "
            "erreur(s)"
        )
    failures = work / "stats_failures.csv"
    if failures.exists():
        for row in list(csv.DictReader(open(failures)))[:10]:
            print(
                f"  échec : {row.get('Method')} {row.get('Name')} — {row.get('Error')[:150]} "
                f"×{row.get('Occurrences')}"
            )


if __name__ == "__main__":
    main()
