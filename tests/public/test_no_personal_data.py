"""Nothing unpublished or personal appears on any public page or in the JSON (issue 22): every
public URL of the permission rules (``projets/…``, ``api/v1/public/…``) is walked, with each
filter, over the world of tests/security/world.py — dossiers in every status, full of personal
data (names, ages, e-mail addresses, a phone number, an IBAN, private notes)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from fonds.public import publishing
from fonds.suivi.models import FinalReport
from tests.security.permission_rules import ANON, RULES
from tests.security.world import BIC, IBAN, build_world

pytestmark = pytest.mark.django_db

PHONE = "06 12 34 56 78"
CONTACT = "jeanne.martin@exemple-prive.fr"
PARTICIPANTS = "Lucas Bernard et Inès Moreau"
PUBLIC_SUMMARY = "Une semaine de théâtre avec nos amis de la ville jumelle."
UNPUBLISHED = ("draft", "submitted", "in_instruction", "corrections", "in_committee", "approved")
PUBLISHED = ("signed", "paid", "reported", "recovery_dossier")


def _public_routes():
    return [
        p for p, rule in RULES.items() if ANON in rule.read and p.startswith(("projets/", "api/v1/public/"))
    ]


@pytest.fixture
def world(settings):
    settings.FJJ_SIRET = "11000201100044"  # the SCDL file is published
    settings.FJJ_PUBLIC_CACHE_SECONDS = 0
    w = build_world()
    signed = w.signed
    type(signed).objects.filter(pk=signed.pk).update(
        objectives=f"Contact : Jeanne Martin, {PHONE}, {CONTACT}", summary="Résumé interne au dossier."
    )
    FinalReport.objects.filter(dossier=w.reported).update(
        activity_report=f"Avec {PARTICIPANTS}, 15 et 16 ans."
    )
    publishing.save_texts(signed, by=w.users["porteur"], summary=PUBLIC_SUMMARY)
    return w


def _secrets(w) -> list[str]:
    found = [IBAN, IBAN.replace(" ", ""), BIC, PHONE, CONTACT, PARTICIPANTS, "Note privée de l'instructeur."]
    found += ["Marie Dupont", "Résumé interne au dossier.", "Le projet s'est déroulé comme prévu."]
    found += ["Élu de la commune voisine", "Merci de joindre la délibération signée."]
    for user in w.users.values():
        found.append(user.email)
        if user.first_name and user.last_name:
            found.append(f"{user.first_name} {user.last_name}")
    return found


def _urls(w) -> list[str]:
    urls = []
    for pattern in _public_routes():
        path = "/" + pattern
        if "<str:reference>" in path:
            urls += [path.replace("<str:reference>", getattr(w, name).reference) for name in PUBLISHED]
        else:
            urls.append(path)
    for query in (
        "q=exemple",
        "q=saint",
        "statut=a-venir",
        "statut=realise",
        "distance=500-1999",
        "region=84",
    ):
        urls += [reverse("public:list") + "?" + query, reverse("public-api:projects") + "?" + query]
    urls.append(reverse("public:map") + "?region=84")
    return urls


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_no_public_page_or_json_shows_personal_or_unpublished_data(client, world):
    secrets = _secrets(world)
    hidden_references = [getattr(world, name).reference for name in UNPUBLISHED]
    seen_published = set()
    urls = _urls(world)
    assert len(urls) >= 20
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = _body(response)
        for secret in secrets:
            assert secret not in body, (url, secret)
        for reference in hidden_references:
            assert reference not in body, (url, reference)
        assert not re.search(r'"(youth|leader)_ages"|"ages"', body), url
        seen_published.update(ref for ref in (getattr(world, n).reference for n in PUBLISHED) if ref in body)
    assert seen_published == {getattr(world, n).reference for n in PUBLISHED}
    page = client.get(reverse("public:detail", args=[world.signed.reference])).content.decode()
    assert PUBLIC_SUMMARY in page  # what the mayor chose to publish is there


def test_every_public_url_is_walked_by_this_test():
    assert set(_public_routes()) >= {
        "projets/",
        "projets/<str:reference>/",
        "projets/chiffres/",
        "projets/carte/",
        "projets/donnees/",
        "projets/donnees/subventions-scdl.csv",
        "api/v1/public/projects/",
        "api/v1/public/projects/<str:reference>/",
    }
