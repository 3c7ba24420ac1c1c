"""ProConnect sign-in, end to end against the OIDC provider of ``oidc_provider.py`` started on
127.0.0.1: the test Client follows the whole redirect flow (authorization request with state and
nonce, the provider's redirect with a code, the callback exchanging it and checking the id_token)."""

from urllib.parse import parse_qsl, urlparse

import pytest
import requests

from fonds.accounts.models import ProConnectDevice, User
from fonds.audit.models import AuditEvent
from tests.accounts.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider
from tests.accounts.twofactor_helpers import device_for
from tests.factories import PASSWORD, make_commune, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.two_factor]

START, CALLBACK = "/compte/proconnect/", "/compte/proconnect/retour/"


@pytest.fixture(scope="module")
def provider():
    running = Provider().start()
    yield running
    running.stop()


@pytest.fixture
def op(provider, settings):
    """ProConnect on, pointed at the test provider by its discovery document."""
    provider.reset()
    settings.FJJ_PROCONNECT_ENABLED = True
    settings.FJJ_PROCONNECT_CLIENT_ID = CLIENT_ID
    settings.FJJ_PROCONNECT_CLIENT_SECRET = CLIENT_SECRET
    settings.FJJ_PROCONNECT_DISCOVERY_URL = provider.discovery_url
    return provider


def identity(user_or_email, sub="sub-0001", verified=True, **extra) -> dict:
    email = getattr(user_or_email, "email", user_or_email)
    return {"sub": sub, "email": email, "email_verified": verified, "given_name": "Anne", **extra}


def proconnect_flow(client, provider, next_url="/depot/"):
    """Start, let the provider authorize, come back: the callback's response."""
    start = client.get(START, {"next": next_url})
    assert start.status_code == 302, start.content
    assert start["Location"].startswith(f"{provider.base}/authorize?")
    authorized = requests.get(start["Location"], allow_redirects=False, timeout=5)
    assert authorized.status_code == 302
    back = urlparse(authorized.headers["Location"])
    assert back.path == CALLBACK
    return client.get(f"{back.path}?{back.query}")


def signed_in_as(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def events(action, user):
    return list(AuditEvent.objects.filter(action=action, object_id=str(user.pk)).order_by("seq"))


# ---- off by default ----------------------------------------------------------------------------


def test_proconnect_off_by_default_answers_404_and_shows_no_button(client):
    assert client.get(START).status_code == 404
    assert client.get(CALLBACK, {"code": "x", "state": "y"}).status_code == 404
    page = client.get("/connexion/").content.decode()
    assert "ProConnect" not in page and "fr-connect" not in page


def test_login_page_shows_the_proconnect_button_when_enabled(client, op):
    page = client.get("/connexion/").content.decode()
    assert 'class="fr-connect"' in page
    assert "S’identifier avec" in page and "ProConnect" in page


# ---- linking and matching ----------------------------------------------------------------------


def test_first_sign_in_links_invited_account_by_verified_email(client, op):
    mayor = make_user("porteur", commune=make_commune())
    op.identity = identity(mayor.email.upper(), sub="pc-mayor")
    response = proconnect_flow(client, op, next_url="/depot/")
    assert response.status_code == 302 and response["Location"] == "/depot/"
    assert signed_in_as(client) == mayor
    mayor.refresh_from_db()
    assert mayor.proconnect_sub == "pc-mayor"
    (linked,) = events("proconnect_linked", mayor)
    payload = linked.data["payload"]
    assert payload["before"]["proconnect_sub"] is None and payload["after"]["proconnect_sub"] == "pc-mayor"
    (sign_in,) = events("proconnect_sign_in", mayor)
    assert sign_in.data["payload"]["second_factor"] == "none"


def test_authorization_request_carries_state_nonce_and_pkce(client, op):
    make_user("porteur", commune=make_commune(), email="maire@commune.fr")
    op.identity = identity("maire@commune.fr")
    proconnect_flow(client, op)
    (query,) = [q for path, q in op.requests if path == "/authorize"]
    assert query["state"] and query["nonce"] and query["code_challenge_method"] == "S256"
    assert query["scope"] == "openid email given_name usual_name"


def test_unverified_email_is_refused(client, op):
    mayor = make_user("porteur", commune=make_commune())
    op.identity = identity(mayor, verified=False)
    response = proconnect_flow(client, op)
    assert response.status_code == 403
    assert "vérifiée" in response.content.decode()
    assert signed_in_as(client) is None
    mayor.refresh_from_db()
    assert mayor.proconnect_sub is None and not events("proconnect_linked", mayor)


def test_email_without_email_verified_claim_is_refused(client, op):
    """Strict: a provider that does not say the email is verified links nothing."""
    mayor = make_user("porteur", commune=make_commune())
    op.identity = {"sub": "sub-silent", "email": mayor.email}
    response = proconnect_flow(client, op)
    assert response.status_code == 403 and "vérifiée" in response.content.decode()
    mayor.refresh_from_db()
    assert signed_in_as(client) is None and mayor.proconnect_sub is None


def test_email_verified_false_in_the_id_token_is_refused(client, op):
    mayor = make_user("porteur", commune=make_commune())
    op.identity = identity(mayor)
    op.id_extra = {"email_verified": False}
    assert proconnect_flow(client, op).status_code == 403
    assert signed_in_as(client) is None


def test_email_verified_in_the_id_token_is_enough_when_userinfo_is_silent(client, op):
    mayor = make_user("porteur", commune=make_commune())
    op.identity = {"sub": "sub-id-token", "email": mayor.email}
    op.id_extra = {"email_verified": True}
    assert proconnect_flow(client, op).status_code == 302
    assert signed_in_as(client) == mayor


def test_unknown_email_is_refused_and_no_account_created(client, op):
    make_user("porteur", commune=make_commune())
    before = User.objects.count()
    op.identity = identity("inconnu@mairie.fr")
    response = proconnect_flow(client, op)
    assert response.status_code == 403
    text = response.content.decode()
    assert "invitation" in text and "inconnu@mairie.fr" in text
    assert User.objects.count() == before
    assert signed_in_as(client) is None


def test_deactivated_account_is_refused(client, op):
    mayor = make_user("porteur", commune=make_commune(), is_active=False)
    op.identity = identity(mayor)
    response = proconnect_flow(client, op)
    assert response.status_code == 403 and "désactivé" in response.content.decode()
    assert signed_in_as(client) is None


def test_deactivated_account_linked_by_sub_is_refused(client, op):
    mayor = make_user("porteur", commune=make_commune(), is_active=False, proconnect_sub="pc-old")
    op.identity = identity("autre@ailleurs.fr", sub="pc-old")
    assert proconnect_flow(client, op).status_code == 403
    assert signed_in_as(client) is None and mayor.proconnect_sub == "pc-old"


def test_second_sign_in_matches_by_sub_even_if_email_changed(client, op):
    mayor = make_user("porteur", commune=make_commune())
    op.identity = identity(mayor, sub="pc-stable")
    proconnect_flow(client, op)
    client.logout()
    op.identity = identity("nouvelle.adresse@mairie.fr", sub="pc-stable", verified=False)
    response = proconnect_flow(client, op)
    assert response.status_code == 302
    assert signed_in_as(client) == mayor
    assert len(events("proconnect_linked", mayor)) == 1
    assert len(events("proconnect_sign_in", mayor)) == 2


def test_account_linked_to_another_identity_is_refused(client, op):
    mayor = make_user("porteur", commune=make_commune(), proconnect_sub="pc-first")
    op.identity = identity(mayor, sub="pc-second")
    response = proconnect_flow(client, op)
    assert response.status_code == 403 and "autre identité" in response.content.decode()
    mayor.refresh_from_db()
    assert mayor.proconnect_sub == "pc-first"


def test_signed_userinfo_jwt_is_accepted(client, op):
    mayor = make_user("porteur", commune=make_commune())
    op.identity = identity(mayor, sub="pc-jwt")
    op.userinfo_as_jwt = True
    assert proconnect_flow(client, op).status_code == 302
    assert signed_in_as(client) == mayor


# ---- the second factor -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra", [{"acr": "eidas2"}, {"acr": "eidas3"}, {"amr": ["pwd", "mfa"]}, {"amr": ["otp"]}]
)
def test_provider_mfa_stands_for_the_totp_step(client, op, extra):
    agent = make_user("instructeur")
    device_for(agent)
    op.identity, op.id_extra = identity(agent, sub="pc-agent"), extra
    assert proconnect_flow(client, op, next_url="/taches/").status_code == 302
    page = client.get("/taches/")
    assert page.status_code == 200  # no detour through the code step
    assert ProConnectDevice.objects.filter(user=agent, confirmed=True).exists()
    (sign_in,) = events("proconnect_sign_in", agent)
    assert sign_in.data["payload"]["second_factor"] == "proconnect"
    assert sign_in.data["payload"]["mfa_asserted"] is True


@pytest.mark.parametrize("extra", [{}, {"acr": "eidas1"}, {"amr": ["pwd"]}])
def test_without_provider_mfa_totp_is_still_asked(client, op, extra):
    agent = make_user("instructeur")
    device_for(agent)
    op.identity, op.id_extra = identity(agent, sub="pc-agent2"), extra
    assert proconnect_flow(client, op, next_url="/taches/").status_code == 302
    assert signed_in_as(client) == agent
    page = client.get("/taches/")
    assert page.status_code == 302 and page["Location"].startswith("/compte/double-authentification/")
    (sign_in,) = events("proconnect_sign_in", agent)
    assert sign_in.data["payload"]["second_factor"] == "totp"


def test_provider_mfa_does_not_replace_totp_when_the_setting_says_so(client, op, settings):
    settings.FJJ_PROCONNECT_MFA_REPLACES_TOTP = False
    agent = make_user("instructeur")
    op.identity, op.id_extra = identity(agent, sub="pc-agent3"), {"acr": "eidas2"}
    proconnect_flow(client, op, next_url="/taches/")
    assert client.get("/taches/")["Location"].startswith("/compte/double-authentification/")


# ---- protocol checks ---------------------------------------------------------------------------


def test_unknown_state_is_refused(client, op):
    client.get(START)
    response = client.get(CALLBACK, {"code": "whatever", "state": "forged"})
    assert response.status_code == 400 and "expiré" in response.content.decode()
    assert signed_in_as(client) is None


def test_callback_cannot_be_replayed(client, op):
    mayor = make_user("porteur", commune=make_commune())
    op.identity = identity(mayor)
    start = client.get(START)
    back = urlparse(requests.get(start["Location"], allow_redirects=False, timeout=5).headers["Location"])
    assert client.get(f"{back.path}?{back.query}").status_code == 302
    client.logout()
    assert client.get(f"{back.path}?{back.query}").status_code == 400
    assert signed_in_as(client) is None


@pytest.mark.parametrize(
    "tamper", [{"nonce": "another-nonce"}, {"aud": "someone-else"}, {"iss": "http://127.0.0.1:1/"}]
)
def test_id_token_with_wrong_nonce_audience_or_issuer_is_refused(client, op, tamper):
    mayor = make_user("porteur", commune=make_commune())
    op.identity, op.tamper = identity(mayor), tamper
    response = proconnect_flow(client, op)
    assert response.status_code == 400 and "pas abouti" in response.content.decode()
    assert signed_in_as(client) is None
    mayor.refresh_from_db()
    assert mayor.proconnect_sub is None


def test_provider_error_answer_is_a_french_page(client, op):
    client.get(START)
    state = next(iter(client.session["oidc_states"]))
    response = client.get(CALLBACK, {"error": "access_denied", "state": state})
    assert response.status_code == 400 and "pas abouti" in response.content.decode()


def test_discovery_down_gives_a_french_503(client, op, settings):
    settings.FJJ_PROCONNECT_DISCOVERY_URL = "http://127.0.0.1:9/.well-known/openid-configuration"
    response = client.get(START)
    assert response.status_code == 503 and "indisponible" in response.content.decode()


def test_locked_out_account_is_refused_through_proconnect_too(client, op, settings):
    mayor = make_user("porteur", commune=make_commune())
    for _ in range(settings.FJJ_LOCKOUT_FAILURES):
        client.post("/connexion/", {"username": mayor.email, "password": "mauvais-mot-de-passe"})
    op.identity = identity(mayor)
    response = proconnect_flow(client, op)
    assert response.status_code == 429
    assert signed_in_as(client) is None


def test_proconnect_callback_counts_in_the_sign_in_rate_limit(client, op, settings):
    settings.FJJ_LOGIN_RATE = 1
    mayor = make_user("porteur", commune=make_commune())
    op.identity = identity(mayor)
    assert proconnect_flow(client, op).status_code == 302
    client.logout()
    response = proconnect_flow(client, op)
    assert response.status_code == 429
    assert signed_in_as(client) is None


def test_password_sign_in_still_works_when_proconnect_is_on(client, op):
    mayor = make_user("porteur", commune=make_commune())
    response = client.post("/connexion/", {"username": mayor.email, "password": PASSWORD})
    assert response.status_code == 302 and signed_in_as(client) == mayor


# ---- sign-out ----------------------------------------------------------------------------------


def test_sign_out_ends_the_proconnect_session_at_the_provider(client, op, settings):
    settings.FJJ_SITE_URL = "https://fonds.example.fr"
    mayor = make_user("porteur", commune=make_commune())
    op.identity = identity(mayor)
    assert proconnect_flow(client, op).status_code == 302
    response = client.post("/deconnexion/")
    assert response.status_code == 302 and signed_in_as(client) is None
    location = urlparse(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{op.base}/logout"
    query = dict(parse_qsl(location.query))
    assert query["id_token_hint"] == op.id_tokens[-1] and query["state"]
    assert query["post_logout_redirect_uri"] == "https://fonds.example.fr/connexion/"
    back = requests.get(response["Location"], allow_redirects=False, timeout=5)
    assert back.status_code == 302
    assert back.headers["Location"] == f"https://fonds.example.fr/connexion/?state={query['state']}"


def test_password_sign_out_stays_on_the_site_when_proconnect_is_on(client, op):
    client.force_login(make_user("porteur", commune=make_commune()))
    response = client.post("/deconnexion/")
    assert response.status_code == 302 and response["Location"] == "/connexion/"
    assert not [path for path, _ in op.requests if path == "/logout"]
