"""The page walk (issue 18): every HTML page of every role of the permission matrix's world, read
as a person and as a screen reader would — no id twice, every label pointing to a field, and no
code or English reaching the reader (snake_case tokens, raw JSON, Python's None/True/False, a few
English words a French page never holds)."""

from __future__ import annotations

import pytest

from tests.french import Page, text_problems
from tests.security.permission_rules import RULES
from tests.security.test_permission_matrix import (  # noqa: F401 — the matrix's fixtures, shared
    agents,
    fill,
    is_api,
    request,
    routes,
    unthrottled,
    world,
)

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("page_walk")]


def problems_of(html: str) -> list[str]:
    page = Page()
    page.feed(html)
    found = []
    seen = set()
    for ident in page.ids:
        if ident in seen:
            found.append(f"id « {ident} » twice")
        seen.add(ident)
    for target in page.label_targets:
        if target not in seen:
            found.append(f"label for « {target} »: no such field")
    return found + text_problems(" ".join(page.text))


def html_routes() -> list[str]:
    return [route for route in routes() if not is_api(route) and route in RULES]


@pytest.mark.parametrize("route", html_routes())
def test_every_page_of_every_role_speaks_french_with_unique_ids(route, world, agents):  # noqa: F811
    rule = RULES[route]
    url = fill(route, rule.args, world)
    failures = []
    for role in sorted(rule.read):
        response = request(agents, world, role, "GET", url, api=False)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        failures += [f"{role}: {problem}" for problem in problems_of(response.content.decode())]
    assert not failures, f"/{route}\n" + "\n".join(dict.fromkeys(failures))


@pytest.mark.parametrize("route", html_routes())
def test_every_table_scrolls_inside_its_dsfr_container(route, world, agents):  # noqa: F811
    """On a 375 px screen every column stays reachable: each data table sits in DSFR's scrolling
    container (``.fr-table > table`` or ``.fr-table__content > table``), never bare in the page."""
    rule = RULES[route]
    url = fill(route, rule.args, world)
    failures = []
    for role in sorted(rule.read):
        response = request(agents, world, role, "GET", url, api=False)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        page = Page()
        page.feed(response.content.decode())
        failures += [f"{role}: {table} hors d'un conteneur .fr-table" for table in page.unscrollable_tables]
    assert not failures, f"/{route}\n" + "\n".join(dict.fromkeys(failures))


def test_the_walk_sees_what_it_must_refuse():
    html = (
        '<label for="id_body">Message</label><textarea id="id_body"></textarea>'
        '<textarea id="id_body"></textarea><label for="missing">x</label>'
        '<p>Ranking for the committee (president_suppleant) {"content_type": "pdf"} None</p>'
        "<script>var not_shown_code = 1;</script>"
    )
    found = problems_of(html)
    assert "id « id_body » twice" in found
    assert "label for « missing »: no such field" in found
    assert any(p.startswith("English") and "Ranking" in p for p in found)
    assert any(p.startswith("code identifier") and "president_suppleant" in p for p in found)
    assert any(p.startswith("raw JSON") for p in found)
    assert not any("not_shown_code" in p for p in found)
    tables = '<div class="fr-table"><table id="ok"></table></div><div><table id="bare"></table></div>'
    page = Page()
    page.feed(tables + '<table role="presentation"></table>')
    assert page.unscrollable_tables == ["bare"]
    files = "<p>Déposé : convention_signee.pdf, vérifiable avec scripts/verify_audit_export.py</p>"
    assert problems_of(files) == []
