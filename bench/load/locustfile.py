"""Locust scenario for bench/bench_load.py (issue 8): porteurs editing drafts, instructors browsing
and scoring, committee members voting — against gunicorn, over HTTP on localhost.

Credentials and object ids come from the JSON written by bench_load.py's setup (FJJ_LOAD_PLAN).
Agents sign in with their TOTP code (bench devices have known keys), as in production.
"""

import itertools
import json
import os
import random
import re
from urllib.parse import urlencode

from django_otp.oath import totp
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

PLAN = json.load(open(os.environ["FJJ_LOAD_PLAN"]))
PASSWORD = PLAN["password"]
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SIGN_IN = ("GET /connexion/", "POST /connexion/", "POST /compte/double-authentification/")
_working: list[float] = []  # response times of everything but signing in (once per user)
_errors = {"n": 0}


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, **kwargs):
    if name not in SIGN_IN:
        _working.append(response_time)
        if exception is not None:
            _errors["n"] += 1


@events.spawning_complete.add_listener
def _reset(user_count, **kwargs):
    _working.clear()  # like --reset-stats: the steady state only, once every user has signed in
    _errors["n"] = 0


@events.quitting.add_listener
def _write_working(environment, **kwargs):
    out = os.environ.get("FJJ_LOAD_WORKING")
    if out:
        json.dump({"times": _working, "errors": _errors["n"]}, open(out, "w"))


_cursors = {kind: itertools.cycle(PLAN[kind]) for kind in ("porteurs", "instructors", "members")}


def _csrf(response) -> str:
    match = CSRF_RE.search(response.text)
    return match.group(1) if match else ""


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
#: what the page's script (fonds/depot/static/depot/depot.js) sends for a background save: the
#: server answers JSON, with no redirect and no page
AUTOSAVE = {**FORM, "X-Autosave": "1", "Accept": "application/json"}


def _post(client, url, fields: dict, name: str, headers=FORM):
    return client.post(url, data=urlencode(fields), headers=headers, name=name)


class FundUser(FastHttpUser):
    """geventhttpclient (locust's FastHttpUser), not python-requests: the load generator shares the
    2 cores with the server, and requests costs several times more CPU per request."""

    abstract = True
    wait_time = between(1, 3)
    kind = ""

    def on_start(self):
        self.account = next(_cursors[self.kind])
        page = self.client.get("/connexion/", name="GET /connexion/")
        response = _post(
            self.client,
            "/connexion/",
            {"username": self.account["email"], "password": PASSWORD, "csrfmiddlewaretoken": _csrf(page)},
            name="POST /connexion/",
        )
        if self.account.get("totp_key"):  # agents: redirected to the two-factor page (followed)
            key = bytes.fromhex(self.account["totp_key"])
            code = f"{totp(key):06d}"
            _post(
                self.client,
                "/compte/double-authentification/",
                {"code": code, "csrfmiddlewaretoken": _csrf(response)},
                name="POST /compte/double-authentification/",
            )


class Porteur(FundUser):
    weight = 5
    kind = "porteurs"

    @task(3)
    def my_dossiers(self):
        self.client.get("/depot/", name="GET /depot/ (Mes dossiers)")

    @task(4)
    def edit_project_step(self):
        url = f"/depot/dossiers/{self.account['dossier']}/etapes/projet/"
        page = self.client.get(url, name="GET step projet")
        title = f"Échange de jeunes — version {random.randint(1, 10**6)}"
        _post(
            self.client,
            url,
            {
                "title": title,
                "summary": "Une semaine d'échanges avec notre ville jumelle.",
                "objectives": "Découvrir, partager.",
                "start_date": "",
                "end_date": "",
                "activity_days": "",
                "action": "stay",
                "csrfmiddlewaretoken": _csrf(page),
            },
            name="POST step projet (autosave)",
            headers=AUTOSAVE,
        )

    @task(2)
    def budget_step(self):
        self.client.get(f"/depot/dossiers/{self.account['dossier']}/etapes/budget/", name="GET step budget")

    @task(1)
    def check_page(self):
        self.client.get(f"/depot/dossiers/{self.account['dossier']}/verification/", name="GET check page")


class Instructor(FundUser):
    weight = 3
    kind = "instructors"

    @task(2)
    def queues(self):
        self.client.get("/instruction/", name="GET /instruction/ (queues)")

    @task(4)
    def dossier_list(self):
        page = random.choice([1, 2, 3, 50, 500])
        self.client.get(
            f"/instruction/dossiers/?status=submitted&sort=commune&page={page}",
            name="GET instruction list (filter+sort)",
        )

    @task(3)
    def open_and_note(self):
        pk = random.choice(self.account["dossiers"])
        page = self.client.get(f"/instruction/dossiers/{pk}/", name="GET instruction dossier page")
        _post(
            self.client,
            f"/instruction/dossiers/{pk}/notes/",
            {"body": "Vérifier la délibération.", "csrfmiddlewaretoken": _csrf(page)},
            name="POST private note",
        )


class CommitteeMember(FundUser):
    weight = 2
    kind = "members"

    @task(2)
    def session_page(self):
        self.client.get(f"/comite/seances/{PLAN['session']}/", name="GET committee session")

    @task(3)
    def vote(self):
        item = random.choice(PLAN["items"])
        url = f"/comite/seances/{PLAN['session']}/dossiers/{item}/"
        page = self.client.get(url, name="GET agenda item")
        _post(
            self.client,
            url + "vote/",
            {
                "moi-choice": random.choice(["pour", "contre", "abstention"]),
                "prefixe": "moi",
                "csrfmiddlewaretoken": _csrf(page),
            },
            name="POST vote",
        )
