"""Issue 18: each role walks its main pages in Chromium, axe-core run at desktop width (1280 px) and
at 375 px, and not one violation of any impact is allowed; at 375 px no page scrolls sideways as a
whole (a wide table scrolls inside its DSFR container, every column reachable).

The pages are those of the permission matrix's world (tests/security/world.py), addressed through
its rules (tests/security/permission_rules.py), so a journey follows the routes as they change."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from fonds.dossiers.models import Dossier
from fonds.dossiers.states import Status
from tests.factories import make_dossier
from tests.security.permission_rules import RULES
from tests.security.test_permission_matrix import fill
from tests.security.world import build_world

pytestmark = pytest.mark.browser

#: each role's main pages (route patterns of the permission rules)
JOURNEYS = {
    "porteur": [
        "depot/",
        "suivi/<int:pk>/",
        "suivi/<int:pk>/historique/",
        "suivi/<int:pk>/convention/",
        "notifications/",
        "messages/",
        "paiements/commune/coordonnees-bancaires/",
        "accessibilite/",
    ],
    "instructeur": [
        "instruction/",
        "instruction/dossiers/",
        "instruction/dossiers/<int:pk>/",
        "instruction/etiquettes/",
        "dossiers/",
        "taches/",
    ],
    "comite": [
        "comite/",
        "comite/seances/<int:pk>/",
        "comite/seances/<int:pk>/seance/",
        "comite/seances/<int:pk>/dossiers/<int:item_pk>/",
    ],
    "finance": [
        "paiements/",
        "paiements/lots/",
        "paiements/lots/<int:pk>/",
        "paiements/ordres/<int:pk>/",
        "paiements/coordonnees-bancaires/",
        "paiements/rapports-finals/",
    ],
    "auditeur": [
        "controle/",
        "controle/tableau-de-bord/",
        "administration/comptes/",
        "suivi/<int:pk>/historique/",
        "dossiers/",
        "dossiers/<int:pk>/",
    ],
    "admin": [
        "administration/",
        "administration/comptes/",
        "administration/campagnes/<int:pk>/",
        "administration/campagnes/<int:pk>/regles/",
        "comite/composition/",
    ],
}


def sign_in(page, base: str, user) -> None:
    """The role's session cookie in the browser (the sign-in form has its own journeys)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base}])


def sideways_scroll(page) -> int:
    """How many pixels the page as a whole is wider than the window (0: nothing cut off)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.django_db(transaction=True)  # the live server's thread sees the test's data
@pytest.mark.parametrize("role", list(JOURNEYS))
def test_every_role_journey_has_zero_axe_violations_at_two_widths(role, live_server, page, axe, settings):
    world = build_world()
    if role == "auditeur":  # a dossiers list of two pages: its pagination, disabled links included
        for _ in range(25):
            make_dossier(campaign=world.campaign, commune=world.commune, porteur=world.users["porteur"])
        Dossier.objects.filter(status=Status.DRAFT).update(status=Status.SUBMITTED)  # test setup
    base = live_server.url
    sign_in(page, base, world.users[role])
    cut = []
    for route in JOURNEYS[role]:
        assert role in RULES[route].read, f"{route} : page interdite au rôle {role}"
        url = base + fill(route, RULES[route].args, world)
        page.set_viewport_size({"width": 1280, "height": 900})
        response = page.goto(url)
        assert response.status == 200, f"{url} : {response.status}"
        assert "/connexion/" not in page.url, f"{url} : session perdue"
        # the accessibility statement lists the pages by their titles
        axe.check_widths(page.title().removesuffix(" — Fonds Jumelages Jeunesse"))
        if sideways_scroll(page) > 0:  # the last check ran at 375 px
            cut.append(f"{route} : {sideways_scroll(page)} px coupés à 375 px")
    print(axe.report())
    assert not axe.broken, axe.report()
    assert not axe.violations, axe.report()
    assert not cut, "\n".join(cut)
