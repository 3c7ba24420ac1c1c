"""Hostile input corpus (issue 8): XSS payloads in every text field, Unicode edge cases, NUL bytes,
oversized bodies, 10,000 budget lines — each refused or stored safely and shown escaped; zero 500.
Issue 14: the same over every route of the URL conf (``test_hostile_corpus_never_500``), and the
rules found missing: nested JSON, NUL bytes and lone surrogates, huge file names, malformed
transition names — each a 400 (or 404) with a French message."""

import io
import json

import pytest
from django.urls import reverse
from django.utils.html import escape
from pypdf import PdfReader

from fonds.depot.receipts import render_receipt_pdf
from fonds.dossiers.models import Dossier
from tests.factories import PDF_BYTES as PDF_FOR_UPLOAD
from tests.factories import make_campaign, make_commune, make_dossier, make_user

pytestmark = pytest.mark.django_db

XSS = [
    '<script>alert("xss")</script>',
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)",
    "{{ 7*7 }}{% debug %}",
    '<img src="http://127.0.0.1:9/ssrf.png">',
]
UNICODE = [
    "Saint-Étienne-de-Saint-Geoirs — Œuvre « jeunesse »",
    "\u202egnp.exe\u202c",  # right-to-left override
    "Zéro\u200blargeur\u200djoint",
    "👩‍👩‍👧 jumelage 🇫🇷🇩🇪",
    "e\u0301\u0301\u0301 combinaisons",
    "ǅ ß ﬁ İ ı",
]
TEXT_FIELDS = ("title", "summary", "objectives")


@pytest.fixture
def porteur_client(client):
    commune = make_commune()
    porteur = make_user("porteur", commune=commune)
    client.force_login(porteur)
    client.porteur = porteur
    return client


@pytest.fixture
def draft(porteur_client):
    return make_dossier(
        commune=porteur_client.porteur.commune,
        porteur=porteur_client.porteur,
        complete=False,
        title="Brouillon",
    )


def _step(dossier, slug):
    return reverse("depot:step", args=[dossier.pk, slug])


@pytest.mark.parametrize("payload", XSS + UNICODE)
def test_text_fields_store_payload_and_pages_escape_it(porteur_client, draft, payload):
    response = porteur_client.post(
        _step(draft, "projet"),
        {"title": payload[:200], "summary": payload, "objectives": payload, "action": "stay"},
    )
    assert response.status_code in (200, 302)
    draft.refresh_from_db()
    assert draft.title == payload[:200].strip() or response.status_code == 200
    for url in (
        reverse("dossier-detail", args=[draft.pk]),
        _step(draft, "projet"),
        reverse("depot:check", args=[draft.pk]),
        reverse("depot:my-dossiers"),
    ):
        page = porteur_client.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        if "<" in payload:
            assert payload not in html, url  # never the raw markup…
            if url == reverse("dossier-detail", args=[draft.pk]):
                assert escape(payload) in html  # …only its escaped text
        if payload.startswith("{{") and url == reverse("dossier-detail", args=[draft.pk]):
            assert escape(payload) in html  # shown as typed, never evaluated as a template


@pytest.mark.parametrize("payload", XSS)
def test_payload_in_a_pdf_is_text_never_markup(payload):
    commune = make_commune()
    dossier = make_dossier(commune=commune, title=payload)
    pdf = render_receipt_pdf(
        {
            "fund_name": "Fonds",
            "reference": dossier.reference,
            "title": payload,
            "commune_name": commune.name,
            "commune_code": commune.code,
            "campaign_name": "c",
            "submitted_at": None,
            "requested_amount": None,
            "sha256": "0" * 64,
            "scheme": "s",
            "audit_seq": 1,
            "generated_at": None,
        }
    )
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    squeezed = "".join(text.split())
    assert "".join(payload.split())[:20] in squeezed  # the payload is printed as characters


def test_nul_byte_refused_by_the_form_in_french(porteur_client, draft):
    response = porteur_client.post(
        _step(draft, "projet"), {"title": "Titre\x00caché", "summary": "a\x00b", "action": "stay"}
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert "\x00" not in draft.title


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_nul_byte_and_xss_through_the_api_never_500(porteur_client, draft, field):
    for value in ["a\x00b", *XSS, *UNICODE, "x" * 100_000]:
        response = porteur_client.patch(
            f"/api/v1/dossiers/{draft.pk}/", data=json.dumps({field: value}), content_type="application/json"
        )
        assert response.status_code in (200, 400), (field, value[:30], response.status_code)
        if response.status_code == 200:
            assert "\x00" not in Dossier.objects.get(pk=draft.pk).__dict__[field]


def test_ten_thousand_budget_lines_refused_through_the_api(porteur_client, draft):
    lines = [
        {"kind": "expense", "category": "travel", "label": f"ligne {i}", "amount": "1.00"}
        for i in range(10_000)
    ]
    response = porteur_client.patch(
        f"/api/v1/dossiers/{draft.pk}/",
        data=json.dumps({"budget_lines": lines}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not draft.budget_lines.exists()


def test_ten_thousand_budget_lines_refused_through_the_form(porteur_client, draft):
    data = {
        "expense-TOTAL_FORMS": "10000",
        "expense-INITIAL_FORMS": "0",
        "income-TOTAL_FORMS": "0",
        "income-INITIAL_FORMS": "0",
    }
    for i in range(10_000):
        data[f"expense-{i}-category"] = "travel"
        data[f"expense-{i}-amount"] = "1"
    response = porteur_client.post(_step(draft, "budget"), data)
    assert response.status_code in (200, 400)  # formset max or Django's field-count guard: never a 500
    assert not draft.budget_lines.exists()


def test_oversized_body_refused_with_413(porteur_client, draft, settings):
    response = porteur_client.post(
        _step(draft, "projet"),
        data=b"x" * 1024,
        content_type="application/octet-stream",
        CONTENT_LENGTH=str(settings.FJJ_MAX_REQUEST_MB * 1024 * 1024 + 1),
    )
    assert response.status_code == 413
    assert "trop volumineuse" in response.content.decode()


def test_unicode_commune_and_user_names_render(client):
    commune = make_commune(name="L'Haÿ-les-Roses \u202e test")
    porteur = make_user("porteur", commune=commune, first_name="Zoë 👩‍🌾", last_name="Ñúñez\u200b")
    client.force_login(porteur)
    dossier = make_dossier(commune=commune, porteur=porteur, campaign=make_campaign())
    assert client.get(reverse("dossier-detail", args=[dossier.pk])).status_code == 200
    assert client.get(reverse("depot:my-dossiers")).status_code == 200


# ---- issue 14: hostile input is a 400 with a French message, never a 500 --------------------------
# The corpus is generated from the URL conf (the permission matrix's walk and world): every route,
# as a role that may use it, gets hostile query strings, hostile route parameters, hostile form
# bodies (the field names read from the page) and, for the API, hostile JSON bodies.

import copy  # noqa: E402  (the corpus' imports, kept with it)
import re  # noqa: E402
from urllib.parse import quote  # noqa: E402

from django.db import transaction  # noqa: E402

from tests.security.permission_rules import ANON, RULES  # noqa: E402
from tests.security.test_permission_matrix import fill, is_api, routes, unthrottled  # noqa: E402,F401 (fixtures)

PREFERENCE = (
    "porteur",
    "instructeur",
    "finance",
    "comite",
    "admin",
    "auditeur",
    "other_porteur",
    "comite_recused",
    ANON,
)
NUL_QUERY = "commune=%00&q=a%00b"
QUERY_PAYLOADS = [
    "q=" + quote("\u202egnp.exe\u202c") + "&status=" + quote("é" * 3),
    "q=%ED%A0%80%FF%FE&page=%ED%A0%80",  # a lone surrogate and bytes that are no UTF-8
    "q=" + "x" * 10_000 + "&page=" + "9" * 400,
    "q="
    + quote("👩‍👩‍👧 ' OR 1=1 --")
    + "&taille=-1&tri="
    + quote("__class__")
    + "&commune="
    + quote("<script>"),
    "q[]=1&q[a]=2&%=%&&=&" + "a=1&" * 200,
]
PARAM_PAYLOADS = ["a" * 2000, quote("\u202egnp"), quote("é"), "__class__", "SUBMIT", "0", "-", quote("'\"<>")]
FORM_VALUES = ["a\x00b", "\u202e" + "x" * 20_000, "\U0001f469\u200d\U0001f469\u200d\U0001f467 \u0301\u0301"]
FORM_RAW = "%ED%A0%80%FF%00x"  # invalid UTF-8 and a NUL in every field of an urlencoded body
DEEP = "[" * 100_000 + "]" * 100_000
JSON_BODIES = [
    DEEP,
    '{"a":' * 25 + "1" + "}" * 25,
    '{"title": "a\\u0000b", "summary": "x"}',
    '{"ti\\u0000tle": "x"}',
    '{"title": "\\ud800", "motivation": "\\udfff"}',
    '{"title": "' + "\u202e" * 3 + "x" * 100_000 + '"}',
    '{"title": ',
    "[1, 2, 3]",
    '"\\u0000"',
]
FIELD = re.compile(r'<(?:input|select|textarea)\b[^>]*?\bname="([^"]+)"')


def actor(roles) -> str:
    return next((role for role in PREFERENCE if role in roles), "admin")


def send(world, role: str, method: str, url: str, *, api: bool, body=None, content_type=None):
    """One request as ``role`` (API: the role's token), in a savepoint rolled back after it."""
    client = world.clients[role]
    cookies = copy.deepcopy(client.cookies)
    extra = {"HTTP_AUTHORIZATION": f"Token {world.tokens[role]}"} if api and role != ANON else {}
    with transaction.atomic():
        if body is None:
            response = client.generic(method, url, **extra)
        else:
            response = client.generic(method, url, data=body, content_type=content_type, **extra)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        transaction.set_rollback(True)
    client.cookies = cookies
    return response


def html_of(response) -> str:
    """The page's HTML, or "" for a file or a stream (PDF, CSV…)."""
    if getattr(response, "streaming", False) or not response.get("Content-Type", "").startswith("text/html"):
        return ""
    return response.content.decode()


def french_400(response) -> str:
    assert response.status_code == 400
    if response["Content-Type"].startswith("application/json"):
        return response.json()["detail"]
    return response.content.decode()


@pytest.fixture
def corpus_world(world, db, settings):
    settings.MEDIA_ROOT = world.media
    return world


@pytest.mark.parametrize("route", routes())
def test_hostile_corpus_never_500(route, corpus_world):
    """Every route × hostile query strings, route parameters, form and JSON bodies: never a 5xx;
    a NUL byte in the query string is a 400 with a French message wherever it is sent."""
    world = corpus_world
    rule = RULES[route]
    api = is_api(route)
    reader, writer = actor(rule.read), actor(rule.write)
    url = fill(route, rule.args, world)
    errors = []

    def check(response, what):
        if response.status_code >= 500:
            errors.append(f"{what}: {response.status_code}")
        return response

    response = check(send(world, reader, "GET", f"{url}?{NUL_QUERY}", api=api), "GET ?%00")
    if response.status_code != 400 or "caractère nul" not in french_400(response):
        errors.append(f"GET {url}?{NUL_QUERY}: {response.status_code}, expected the French 400")
    for query in QUERY_PAYLOADS:
        check(send(world, reader, "GET", f"{url}?{query}", api=api), f"GET ?{query[:40]}")
    for name, value in rule.args.items():
        if not value.startswith("=") and name not in ("uidb64", "token", "commune", "code"):
            continue  # integer ids: a hostile value does not match the route (404)
        for payload in PARAM_PAYLOADS:
            hostile = fill(route, {**rule.args, name: "=" + payload}, world)
            check(send(world, reader, "GET", hostile, api=api), f"GET {hostile[:80]}")
            check(
                send(
                    world,
                    writer,
                    "POST",
                    hostile,
                    api=api,
                    body="{}" if api else "",
                    content_type="application/json" if api else "application/x-www-form-urlencoded",
                ),
                f"POST {hostile[:80]}",
            )
    if api:
        for method in ("POST", "PUT", "PATCH"):
            for body in JSON_BODIES:
                check(
                    send(world, writer, method, url, api=True, body=body, content_type="application/json"),
                    f"{method} {body[:30]!r}",
                )
    else:
        names = sorted(
            set(
                FIELD.findall(
                    html_of(send(world, writer if writer in rule.read else reader, "GET", url, api=False))
                )
            )
            - {"csrfmiddlewaretoken"}
        )
        names = names or ["name", "title", "motivation", "q"]
        for value in FORM_VALUES:
            check(
                send(
                    world,
                    writer,
                    "POST",
                    url,
                    api=False,
                    body="&".join(f"{quote(n)}={quote(value)}" for n in names),
                    content_type="application/x-www-form-urlencoded",
                ),
                f"POST form {value[:10]!r}",
            )
        check(
            send(
                world,
                writer,
                "POST",
                url,
                api=False,
                body="&".join(f"{quote(n)}={FORM_RAW}" for n in names),
                content_type="application/x-www-form-urlencoded",
            ),
            "POST form raw bytes",
        )
    assert not errors, f"/{route} as {reader}/{writer}:\n" + "\n".join(errors)


# ---- the rules one by one ------------------------------------------------------------------------


def test_nested_json_is_a_400(porteur_client, draft):
    for body in (DEEP, '{"title":' * 25 + '"x"' + "}" * 25):
        response = porteur_client.patch(
            f"/api/v1/dossiers/{draft.pk}/", data=body, content_type="application/json"
        )
        assert "imbriqué trop profondément" in french_400(response)
    anonymous = porteur_client.__class__()
    assert "imbriqué trop profondément" in french_400(
        anonymous.post("/api/v1/auth/token/", data=DEEP, content_type="application/json")
    )


def test_nul_byte_and_lone_surrogate_in_json_are_a_400(porteur_client, draft):
    url = f"/api/v1/dossiers/{draft.pk}/"
    assert "caractère nul" in french_400(
        porteur_client.patch(url, data='{"summary": "a\\u0000b"}', content_type="application/json")
    )
    assert "caractère nul" in french_400(
        porteur_client.patch(url, data='{"a\\u0000": 1}', content_type="application/json")
    )
    assert "demi-paire UTF-16" in french_400(
        porteur_client.patch(url, data='{"title": "\\ud800"}', content_type="application/json")
    )
    draft.refresh_from_db()
    assert draft.title == "Brouillon"


def test_malformed_json_is_a_french_400(porteur_client, draft):
    response = porteur_client.patch(
        f"/api/v1/dossiers/{draft.pk}/", data='{"title": ', content_type="application/json"
    )
    assert french_400(response) == "Le corps de la requête n'est pas un JSON valide."


def test_nul_byte_in_query_is_a_400(porteur_client, draft):
    page = french_400(porteur_client.get("/dossiers/?commune=%00"))
    assert "caractère nul" in page and "Erreur 400" in page
    assert "caractère nul" in french_400(porteur_client.get("/api/v1/dossiers/?commune=%00"))
    assert "caractère nul" in french_400(porteur_client.get("/paiements/coordonnees-bancaires/%00/"))


def _multipart(field: str, file_name: str, data: bytes) -> tuple[bytes, str]:
    boundary = "fjj-corpus-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="action"\r\n\r\nstay\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{file_name}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def test_thousand_character_file_name_is_a_400_not_a_500(porteur_client, draft):
    body, content_type = _multipart("deliberation", "d" * 1000 + ".pdf", PDF_FOR_UPLOAD)
    response = porteur_client.post(_step(draft, "pieces"), data=body, content_type=content_type)
    page = french_400(response)
    assert "nom de fichier trop long" in page and "Erreur 400" in page
    assert not draft.documents.exists()


def test_long_file_extension_on_a_large_upload_is_stored(porteur_client, draft, settings):
    """Django named the temporary file after the client's extension: 600 characters, OSError, 500."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # every upload goes through a temporary file
    body, content_type = _multipart("deliberation", "delib." + "x" * 600, PDF_FOR_UPLOAD)
    response = porteur_client.post(_step(draft, "pieces"), data=body, content_type=content_type)
    assert response.status_code == 302
    document = draft.documents.get()
    assert len(document.original_name) <= 200 and document.file.name.endswith(".pdf")


MALFORMED_NAMES = [
    "__class__",
    "__init__",
    "perform",
    "a" * 5000,
    "SUBMIT",
    "submit-",
    "_",
    "0",
    quote("ｓｕｂｍｉｔ"),
    quote("submit\u202e"),
    "submit%00",
    "%2e%2e",
]


def test_malformed_transition_names_are_never_a_500(client):
    commune = make_commune()
    porteur = make_user("porteur", commune=commune)
    instructeur = make_user("instructeur")
    dossier = make_dossier(commune=commune, porteur=porteur)
    for user, base in (
        (porteur, f"/dossiers/{dossier.pk}/actions/"),
        (instructeur, f"/api/v1/dossiers/{dossier.pk}/transitions/"),
    ):
        client.force_login(user)
        for name in MALFORMED_NAMES:
            for method in ("get", "post"):
                response = getattr(client, method)(f"{base}{name}/")
                assert response.status_code in (400, 403, 404, 405), (
                    base,
                    name[:20],
                    method,
                    response.status_code,
                )
                if response.status_code == 404 and base.startswith("/api/"):
                    assert response.json()["detail"]
                elif response.status_code == 404:
                    assert "Page introuvable" in response.content.decode()
