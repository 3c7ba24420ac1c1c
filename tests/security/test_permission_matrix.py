"""The permission matrix (issue 8) and the read-only auditor (issue 7), generated from the URL conf.

Every route of ``django.urls.get_resolver()`` (``admin/`` excepted: one rule, staff
administrators only) × every role of ``tests/security/world.py`` × GET and POST → the answer
``tests/security/permission_rules.py`` expects. A route without a rule fails
``test_every_route_has_a_rule``. The world is built once for the module, through the packages'
services, in a transaction rolled back at the end; every request runs in a savepoint rolled back
after it, so a POST that succeeds changes nothing for the next one.
"""

from __future__ import annotations

import copy
import re

import pytest
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle

from tests.security.permission_rules import ANON, OTHER, RULES, Rule
from tests.security.world import ROLES, build_world

ADMIN_PREFIX = "admin/"
AGENT_ROLES = ("instructeur", "comite", "finance", "auditeur", "admin", "expert")


def walk(resolver=None, prefix: str = ""):
    """Every URL pattern of the project, as the text of its route (``suivi/<int:pk>/``)."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def routes() -> list[str]:
    seen = []
    for route in walk():
        if not route.startswith(ADMIN_PREFIX) and route not in seen:
            seen.append(route)
    return seen


def is_api(route: str) -> bool:
    return route.startswith("api/")


def fill(route: str, args: dict, world) -> str:
    """The URL of ``route`` with its parameters taken from the world."""
    url = "/" + route.replace("^", "").replace("$", "")

    def value(spec: str) -> str:
        if spec.startswith("="):
            return spec[1:]
        name, _, attr = spec.partition(".")
        obj = world.objects[name]
        return str(getattr(obj, attr) if attr else obj)

    def converter(match):
        return value(args[match.group(1)])

    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", converter, url)  # regex routes (the API router) first
    url = re.sub(r"<(?:\w+:)?(\w+)>", converter, url)
    return url


# ---- the world, once per module --------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.conf import settings

    media = tmp_path_factory.mktemp("media-matrix")
    previous = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = media
    with django_db_blocker.unblock():
        with transaction.atomic():
            built = build_world()
            built.media = media
            built.tokens = {role: Token.objects.create(user=user).key for role, user in built.users.items()}
            built.clients = {}
            for role in ROLES:  # signed in once: the sessions live in the module's transaction
                client = Client(raise_request_exception=False)
                if role != ANON:
                    client.force_login(built.users[role])
                built.clients[role] = client
            try:
                yield built
            finally:
                transaction.set_rollback(True)
    settings.MEDIA_ROOT = previous


@pytest.fixture
def agents(world, db, settings):
    """A test client per role (HTML: a session; API: the role's token)."""
    settings.MEDIA_ROOT = world.media
    return world.clients


@pytest.fixture(autouse=True)
def unthrottled(monkeypatch):
    """DRF throttles stay on in the code; this module sends hundreds of requests per role."""
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"anon": "100000/minute", "user": "100000/minute", "token": "100000/minute"},
    )


#: the tables a state change would touch (besides the audit chain, whose head is compared too)
MAIN_TABLES = (
    "dossiers.Dossier",
    "dossiers.BudgetLine",
    "dossiers.Document",
    "documents.GeneratedDocument",
    "instruction.EligibilityOverride",
    "instruction.Score",
    "instruction.AmountProposal",
    "instruction.PrivateNote",
    "instruction.InstructorConflict",
    "instruction.SavedFilter",
    "avis.AvisRequest",
    "suivi.FinalReport",
    "bulk.BulkJob",
    "comite.Session",
    "comite.AgendaItem",
    "comite.Proxy",
    "comite.Attendance",
    "comite.ConflictDeclaration",
    "comite.Vote",
    "payments.BankDetails",
    "payments.PaymentOrder",
    "payments.Batch",
    "payments.Settlement",
    "reporting.ExportJob",
    "audit.AuditEvent",
)


def snapshot() -> tuple:
    from django.apps import apps

    from fonds.audit.models import ChainHead

    head = tuple(ChainHead.objects.values_list("last_seq", "last_hash").get(pk=1))
    statuses = tuple(apps.get_model("dossiers.Dossier").objects.order_by("pk").values_list("pk", "status"))
    return head, statuses, tuple(apps.get_model(label).objects.count() for label in MAIN_TABLES)


def request(clients, world, role: str, method: str, url: str, api: bool, probe=None):
    client = clients[role]
    cookies = copy.deepcopy(
        client.cookies
    )  # a POST to sign out must not sign the role out for the next request
    extra = {}
    if api and role != ANON:
        extra["HTTP_AUTHORIZATION"] = f"Token {world.tokens[role]}"
    with transaction.atomic():
        if method == "GET":
            response = client.get(url, **extra)
        elif api:
            response = client.generic(method, url, data="{}", content_type="application/json", **extra)
        elif method == "POST":
            response = client.post(url, {}, **extra)
        else:
            response = client.generic(method, url, **extra)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)  # a streamed body's errors surface here
        if probe is not None:
            response.probed = probe()
        transaction.set_rollback(True)
    client.cookies = cookies
    return response


def to_login(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(resolve_url("login"))


def refused(response, rule: Rule | None = None) -> bool:
    return to_login(response) or response.status_code in (401, 403, 404, 405)


def judge(rule: Rule, route: str, role: str, method: str, response) -> str | None:
    """None when the answer is the expected one, else what is wrong."""
    code = response.status_code
    where = f"{method} /{route} as {role}: {code}"
    if code >= 500:
        return f"{where} (server error)"
    allowed = role in (rule.read if method == "GET" else rule.write)
    if allowed:
        if (code == 404 and rule.absent_ok) or (rule.signs_out and to_login(response)):
            return None
        return f"{where} refused, expected an answer" if refused(response) else None
    if not refused(response):
        # a role that may read the dossier or page, but not act: the page may be shown again for a
        # POST (200) or the state refused first (409); never a success (302) nor a processed form (400)
        if role in rule.read and (code == 409 or (method == "POST" and code == 200)):
            return None
        return f"{where} answered, expected a refusal"
    offered_to_someone = bool(rule.read if method == "GET" else rule.write)
    if role == ANON and offered_to_someone:
        if is_api(route) and code not in (401, 403):
            return f"{where}: anonymous API call must get 401/403"
        if not is_api(route) and not to_login(response):
            return f"{where}: anonymous must be sent to the login page"
    if role == OTHER and rule.scoped and code not in (404, 405):
        return f"{where}: another commune's porteur must get 404 (no hint the dossier exists)"
    return None


def test_every_route_has_a_rule():
    found = routes()
    missing = [route for route in found if route not in RULES]
    stale = [route for route in RULES if route not in found]
    assert not missing, f"routes without a permission rule in tests/security/permission_rules.py: {missing}"
    assert not stale, f"rules for routes that no longer exist: {stale}"
    assert len(found) >= 100


@pytest.mark.parametrize("route", routes())
def test_route_answers_each_role_as_its_rule_says(route, world, agents):
    rule = RULES.get(route)
    assert rule is not None, f"no permission rule for /{route}"
    url = fill(route, rule.args, world)
    errors = []
    for role in ROLES:
        for method in ("GET", "POST"):
            response = request(agents, world, role, method, url, is_api(route))
            problem = judge(rule, route, role, method, response)
            if problem:
                errors.append(problem)
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("route", routes())
def test_auditor_changes_nothing(route, world, agents):
    """Issue 7: every state-changing request of an auditor is refused (403 or 405) and changes
    nothing (same audit-chain head, same statuses, same row counts). Exceptions, named in the
    rules: the auditor's own session (sign in/out, second factor) and launching an export (it
    records who exported what)."""
    rule = RULES[route]
    if rule.own_account:
        pytest.skip("the auditor's own session or credentials")
    url = fill(route, rule.args, world)
    errors = []
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        if method == "POST" and rule.read_like_post:
            continue
        before = snapshot()
        response = request(agents, world, "auditeur", method, url, is_api(route), probe=snapshot)
        if response.status_code not in (403, 405):
            errors.append(f"{method} /{route} as auditeur: {response.status_code}, expected 403 or 405")
        if response.probed != before:
            errors.append(f"{method} /{route} as auditeur changed data")
    assert not errors, "\n".join(errors)


@pytest.mark.two_factor
@pytest.mark.parametrize("role", AGENT_ROLES)
def test_unverified_agent_is_sent_to_the_second_factor_on_every_agent_route(role, world, agents):
    """With TOTP required, an agent signed in with the password only reaches no page: HTML → the
    two-factor page, API with the session → 403 (tokens are only issued with a code)."""
    from fonds.accounts.twofactor import EXEMPT_PREFIXES

    errors = []
    checked = 0
    for route in routes():
        rule = RULES[route]
        path = "/" + route
        if role not in rule.read or path.startswith(EXEMPT_PREFIXES) or rule.own_account:
            continue
        url = fill(route, rule.args, world)
        response = request(agents, world, role, "GET", url, api=False)  # the session, no token
        checked += 1
        if is_api(route):
            if response.status_code != 403:
                errors.append(f"GET {url} as unverified {role}: {response.status_code}, expected 403")
        elif not (
            response.status_code == 302
            and response["Location"].startswith("/compte/double-authentification/")
        ):
            errors.append(
                f"GET {url} as unverified {role}: {response.status_code}, expected the two-factor page"
            )
    assert checked >= 10 and not errors, "\n".join(errors)


@pytest.mark.parametrize("role", [r for r in ROLES])
def test_django_admin_for_staff_administrators_only(role, world, agents):
    response = request(agents, world, role, "GET", "/admin/", api=False)
    if role == "admin":
        assert response.status_code == 200
    else:
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
