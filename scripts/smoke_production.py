#!/usr/bin/env python
"""Essai de fumée du profil de production (issue 14) : ce que voit un visiteur du vrai serveur.

Sur un clone neuf : ``collectstatic``, une base PostgreSQL dédiée recréée et migrée, quelques
comptes, puis gunicorn avec ``FJJ_DEBUG=0`` (HTTP simple sur 127.0.0.1 : ``FJJ_SECURE_COOKIES=0``,
``FJJ_SSL_REDIRECT=0``). Vérifie par HTTP :

* les pages d'erreur du site (404, 403, 400, 429) : statut, texte français, feuille de style DSFR
  et chaque fichier statique qu'elles citent servis (200) — la page 500 ne se provoque pas de
  l'extérieur : tests/web/test_error_pages.py la rend sans base ni processeur de contexte ;
* la double authentification devant l'API : un agent connecté par mot de passe seul (sans code
  TOTP) n'obtient jamais 200 sur /api/v1/dossiers/, quel que soit l'en-tête Authorization ;
* aucune trace de pile (traceback) dans le journal du serveur pour ces erreurs de client.

Arrête gunicorn et supprime la base et les fichiers temporaires même en cas d'échec (Ctrl-C compris).

    .venv/bin/python scripts/smoke_production.py            # make smoke
    FJJ_SMOKE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/fjj_smoke_x \\
    FJJ_BROKER_URL=redis://127.0.0.1:6379/4 FJJ_RESULT_BACKEND=redis://127.0.0.1:6379/5 \\
        .venv/bin/python scripts/smoke_production.py --port 8093 --keep

Code de sortie : 0 si tout est conforme, 1 sinon (la liste des échecs est affichée).
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/fjj_smoke"
PASSWORD = "fumee-production-" + secrets.token_hex(8)
AGENT, NO_ROLE, LOCKED = "agent@fumee.example.fr", "sans-role@fumee.example.fr", "verrou@fumee.example.fr"
STATIC_REF = re.compile(r'(?:href|src)="(/static/[^"#?]+)')
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FORM = "application/x-www-form-urlencoded"

# Comptes de l'essai : un agent (instructeur) avec un appareil TOTP confirmé, un compte sans rôle.
CREATE_USERS = f"""
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice
from fonds.accounts.models import User
agent = User.objects.create_user({AGENT!r}, {PASSWORD!r})
agent.groups.add(Group.objects.get_or_create(name="instructeur")[0])
TOTPDevice.objects.create(user=agent, name="essai", confirmed=True)
User.objects.create_user({NO_ROLE!r}, {PASSWORD!r})
"""


def say(text: str = "") -> None:
    print(text, flush=True)


class Browser:
    """A client for one visitor: its cookies, no redirect followed (statuses are what is checked)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict | None = None,
        host: str | None = None,
    ) -> tuple[int, dict, bytes]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        sent = {"Host": host or f"{self.host}:{self.port}", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                for name, morsel in SimpleCookie(value).items():
                    self.cookies[name] = morsel.value
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def post_form(self, path: str, fields: dict) -> tuple[int, dict, bytes]:
        return self.request("POST", path, body=urlencode(fields).encode(), headers={"Content-Type": FORM})

    def sign_in(self, email: str, password: str) -> tuple[int, dict, bytes]:
        """The sign-in form as a browser fills it (CSRF token of the page, then POST)."""
        status, _, page = self.request("GET", "/connexion/")
        token = CSRF_FIELD.search(page.decode())
        if status != 200 or token is None:
            raise RuntimeError(f"page de connexion : {status}")
        return self.post_form(
            "/connexion/", {"csrfmiddlewaretoken": token.group(1), "username": email, "password": password}
        )


class Smoke:
    def __init__(self, args):
        self.args = args
        self.results: list[tuple[bool, str, str]] = []
        self.work = Path(tempfile.mkdtemp(prefix="fjj-fumee-"))
        self.server: subprocess.Popen | None = None
        self.children: list[subprocess.Popen] = []  # manage.py commands, stopped too on interruption
        self.database_url = args.database_url
        parsed = urlparse(self.database_url)
        self.database = parsed.path.lstrip("/")
        if parsed.scheme not in ("postgres", "postgresql") or not re.fullmatch(r"[a-z0-9_]+", self.database):
            raise SystemExit(
                f"base PostgreSQL dédiée attendue (minuscules, chiffres, _) : {self.database_url}"
            )
        self.env = {
            **os.environ,
            "FJJ_DEBUG": "0",
            "FJJ_SECRET_KEY": secrets.token_urlsafe(50),
            "FJJ_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "FJJ_SECURE_COOKIES": "0",
            "FJJ_SSL_REDIRECT": "0",
            "FJJ_STATIC_ROOT": str(self.work / "static"),
            "FJJ_VAR_DIR": str(self.work / "var"),
            "FJJ_DATABASE_URL": self.database_url,
            "FJJ_BROKER_URL": os.environ.get("FJJ_BROKER_URL", "redis://127.0.0.1:6379/0"),
            "FJJ_RESULT_BACKEND": os.environ.get("FJJ_RESULT_BACKEND", "redis://127.0.0.1:6379/1"),
            "FJJ_LOG_FORMAT": "json",
            "PYTHONUNBUFFERED": "1",
        }
        self.log = self.work / "gunicorn.log"

    # ---- set-up and clean-up ------------------------------------------------------------------

    def admin_sql(self, statement: str) -> None:
        import psycopg  # the project's PostgreSQL driver, in the virtualenv that runs this script

        parsed = urlparse(self.database_url)
        maintenance = parsed._replace(path="/postgres").geturl().replace("postgres://", "postgresql://", 1)
        with psycopg.connect(maintenance, autocommit=True) as connection:
            connection.execute(statement)

    def manage(self, *commands: tuple[str, ...]) -> None:
        """Run ``manage.py`` commands side by side (independent ones: collectstatic and migrate)."""
        started = time.perf_counter()
        running = []
        for args in commands:
            output = self.work / f"manage-{args[0]}.log"
            with open(output, "wb") as sink:
                process = subprocess.Popen(
                    [sys.executable, "manage.py", *args],
                    cwd=ROOT,
                    env=self.env,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            self.children.append(process)
            running.append((args, process, output))
        for args, process, output in running:
            if process.wait(timeout=600) != 0:
                tail = output.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"manage.py {' '.join(args[:2])} : code {process.returncode}\n{tail}")
        names = " + ".join(args[0] for args, _, _ in running)
        say(f"   manage.py {names} : {time.perf_counter() - started:.1f} s")

    def set_up(self) -> None:
        say(f"== préparation (base {self.database}, fichiers dans {self.work})")
        self.admin_sql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        self.admin_sql(f'CREATE DATABASE "{self.database}"')
        self.manage(("collectstatic", "--noinput", "-v0"), ("migrate", "--noinput", "-v0"))
        self.manage(("shell", "-c", CREATE_USERS))
        bindir = Path(sys.executable).parent
        say(f"== gunicorn (FJJ_DEBUG=0) sur 127.0.0.1:{self.args.port}")
        with open(self.log, "wb") as log:
            self.server = subprocess.Popen(
                [
                    str(bindir / "gunicorn"),
                    "fonds.wsgi",
                    "-w",
                    "2",
                    "-b",
                    f"127.0.0.1:{self.args.port}",
                    "--log-level",
                    "info",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.server.poll() is not None:
                tail = self.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"gunicorn s'est arrêté (code {self.server.returncode}) :\n{tail}")
            try:
                if Browser("127.0.0.1", self.args.port).request("GET", "/connexion/")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError("gunicorn ne répond pas sur /connexion/ après 60 s")

    @staticmethod
    def stop(process: subprocess.Popen) -> bool:
        """Stop a process started in its own session (and its children); True if it was running."""
        if process.poll() is not None:
            return False
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=10)
        return True

    def tear_down(self) -> None:
        for child in self.children:
            if self.stop(child):
                say(f"== manage.py (pid {child.pid}) arrêté")
        if self.server is not None and self.stop(self.server):
            say("== gunicorn arrêté")
        if self.args.keep:
            say(f"== conservés (--keep) : base {self.database}, {self.work}")
            return
        try:
            self.admin_sql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        except Exception as exc:  # noqa: BLE001 — clean-up goes on; the run's result stands
            say(f"   base {self.database} non supprimée : {exc}")
        shutil.rmtree(self.work, ignore_errors=True)
        say("== base et fichiers temporaires supprimés")

    # ---- checks -------------------------------------------------------------------------------

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        self.results.append((ok, what, detail))
        say(f"  {'OK   ' if ok else 'ÉCHEC'} {what}" + (f" — {detail}" if detail and not ok else ""))
        return ok

    def error_page(self, label: str, status: int, expected: int, body: bytes, *phrases: str) -> None:
        text = html.unescape(body.decode("utf-8", "replace"))
        missing = [p for p in (f"Erreur {expected}", *phrases) if p not in text]
        self.check(
            status == expected and '<html lang="fr"' in text and not missing,
            f"{label} : {expected}, page française du site",
            f"statut {status}, absent : {missing}",
        )
        refs = sorted(set(STATIC_REF.findall(body.decode("utf-8", "replace"))))
        css = [r for r in refs if re.search(r"/static/dsfr/dist/dsfr/dsfr\.min\.[0-9a-f]+\.css$", r)]
        broken = []
        for ref in refs:
            got, headers, _ = Browser("127.0.0.1", self.args.port).request("GET", ref)
            is_css = headers.get("content-type", "").startswith("text/css")
            if got != 200 or (ref.endswith(".css") and not is_css):
                broken.append(f"{ref} → {got}")
        self.check(
            bool(css) and not broken,
            f"{label} : feuille DSFR (empreinte collectstatic) et {len(refs)} fichiers statiques servis "
            "(200)",
            f"DSFR : {css or 'absente'} ; en erreur : {broken}",
        )

    def run_checks(self) -> None:
        port = self.args.port
        visitor = Browser("127.0.0.1", port)
        say("== pages d'erreur")
        status, _, body = visitor.request("GET", "/page-qui-n-existe-pas/")
        self.error_page("404 (adresse inconnue)", status, 404, body, "Page introuvable", "Retour à l'accueil")

        status, _, body = visitor.request("GET", "/dossiers/1/actions/" + "a" * 300 + "/")
        self.check(
            status in (302, 404), "nom d'action malformé : 404 ou connexion, jamais 500", f"statut {status}"
        )

        status, _, body = Browser("127.0.0.1", port).post_form(
            "/connexion/", {"username": "x", "password": "y"}
        )
        self.error_page("403 (formulaire sans jeton CSRF)", status, 403, body, "Le formulaire a expiré")

        no_role = Browser("127.0.0.1", port)
        signed = no_role.sign_in(NO_ROLE, PASSWORD)[0]
        status, _, body = no_role.request("GET", "/depot/nouveau/1/")
        self.error_page(f"403 (page des porteurs ; connexion {signed})", status, 403, body, "Accès refusé")

        status, _, body = visitor.request("GET", "/connexion/", host="attaquant.example")
        self.error_page("400 (en-tête Host inconnu)", status, 400, body, "n'est pas reconnue")

        status, _, body = visitor.request("GET", "/dossiers/?commune=%00")
        self.error_page("400 (octet nul dans la requête)", status, 400, body, "caractère nul")

        status, _, body = visitor.request(
            "POST",
            "/api/v1/auth/token/",
            body=b"[" * 50_000 + b"]" * 50_000,
            headers={"Content-Type": "application/json"},
        )
        detail = _json_detail(body)
        self.check(
            status == 400 and "imbriqué trop profondément" in detail,
            "400 (JSON imbriqué sur l'API), message français",
            f"statut {status}, {detail[:120]!r}",
        )

        attacker, statuses = Browser("127.0.0.1", port), []
        for _ in range(self.args.failures + 1):  # wrong passwords until the lockout answers
            status, headers, body = attacker.sign_in(LOCKED, "mauvais-mot-de-passe")
            statuses.append(status)
            if status == 429:
                break
        self.check(
            "retry-after" in headers,
            f"429 : en-tête Retry-After (réponses : {statuses})",
            f"{sorted(headers)}",
        )
        self.error_page(
            "429 (blocage après échecs de connexion)", status, 429, body, "Compte temporairement bloqué"
        )

        say("== double authentification devant l'API (agent connecté par mot de passe seul)")
        agent = Browser("127.0.0.1", port)
        signed = agent.sign_in(AGENT, PASSWORD)[0]
        self.check(
            signed == 302, "connexion de l'agent par mot de passe (sans code TOTP)", f"statut {signed}"
        )
        for label, headers in (
            ("sans en-tête", {}),
            ("Authorization: x", {"Authorization": "x"}),
            ("Authorization: Bearer junk", {"Authorization": "Bearer junk"}),
            ("Authorization vide", {"Authorization": ""}),
        ):
            status, _, body = agent.request("GET", "/api/v1/dossiers/", headers=headers)
            self.check(
                status in (401, 403),
                f"GET /api/v1/dossiers/ {label} : refusé (401/403)",
                f"statut {status} {body[:100]!r}",
            )

        say("== journal du serveur")
        log = self.log.read_text(errors="replace")
        self.check(
            "Traceback" not in log,
            "aucune trace de pile (traceback) dans le journal de gunicorn",
            log[log.find("Traceback") :][:600] if "Traceback" in log else "",
        )

    def summary(self) -> int:
        failed = [(what, detail) for ok, what, detail in self.results if not ok]
        passed = len(self.results) - len(failed)
        say(f"\n== bilan : {passed} vérification(s) conforme(s), {len(failed)} échec(s)")
        for what, detail in failed:
            say(f"  ÉCHEC {what}" + (f" — {detail}" if detail else ""))
        return 1 if failed else 0


def _json_detail(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body[:200].decode("utf-8", "replace")
    return str(data.get("detail", data)) if isinstance(data, dict) else str(data)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("FJJ_SMOKE_DATABASE_URL", DEFAULT_DATABASE),
        help="base PostgreSQL dédiée, recréée puis supprimée (FJJ_SMOKE_DATABASE_URL)",
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("FJJ_SMOKE_PORT", "8093")))
    parser.add_argument(
        "--failures",
        type=int,
        default=int(os.environ.get("FJJ_LOCKOUT_FAILURES", "5")),
        help="échecs de connexion avant blocage (FJJ_LOCKOUT_FAILURES)",
    )
    parser.add_argument("--keep", action="store_true", help="garder la base et les fichiers (diagnostic)")
    args = parser.parse_args()

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    started = time.perf_counter()
    smoke = Smoke(args)
    code = 1
    try:
        smoke.set_up()
        smoke.run_checks()
        code = smoke.summary()
    except KeyboardInterrupt as exc:
        say(f"\n== interrompu ({exc or 'Ctrl-C'})")
    except Exception as exc:  # noqa: BLE001 — reported, then clean-up; the run fails
        say(f"\n== ERREUR : {exc}")
        if smoke.log.exists():
            say(smoke.log.read_text(errors="replace")[-3000:])
    finally:
        smoke.tear_down()
    say(f"== durée totale : {time.perf_counter() - started:.0f} s ; {'SUCCÈS' if code == 0 else 'ÉCHEC'}")
    return code


if __name__ == "__main__":
    sys.exit(main())
