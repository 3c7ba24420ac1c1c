"""Browser suite (issue 3): Playwright driving Debian's Chromium (never a downloaded browser) against
pytest-django's live server, with axe-core injected in every front-office page visited.

Skips with a reason when /usr/bin/chromium is absent (``make system-deps`` installs it)."""

import datetime as dt
import json
import os
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path(os.environ.get("FJJ_CHROMIUM", "/usr/bin/chromium"))
AXE_JS = Path(__file__).parent / "vendor" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: the two widths of every role's journey: a desktop and a phone (RGAA: 320–375 px reflow)
WIDTHS = (1280, 375)
#: where ``FJJ_AXE_RESULTS=1`` makes the suite write its results (the accessibility statement
#: reads them: docs/accessibilite/README.md); unset, nothing is written
RESULTS = Path(__file__).resolve().parents[2] / "docs" / "accessibilite" / "axe-results.json"


@pytest.fixture(scope="module")
def chromium():
    """One browser per module, closed before the rest of the suite runs: Playwright's sync API
    keeps an event loop in this thread, during which Django refuses ORM calls as "async unsafe"
    unless DJANGO_ALLOW_ASYNC_UNSAFE is set — set only while the browser is open."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"navigateur absent : {CHROMIUM} (installez le paquet Debian chromium : make system-deps)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("le paquet Python playwright n'est pas installé (pip install -e '.[test]')")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(chromium):
    context = chromium.new_context(
        locale="fr-FR", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    context.set_default_timeout(15_000)
    # axe-core served from the site's own origin: the Content Security Policy (script-src 'self')
    # refuses inline scripts, including an injected one
    context.route(
        "**/__axe__/axe.min.js",
        lambda route: route.fulfill(path=str(AXE_JS), content_type="application/javascript"),
    )
    page = context.new_page()
    yield page
    context.close()


class Axe:
    """Runs axe-core on the current page; keeps every result so that one walk reports all pages."""

    def __init__(self, page):
        self.page = page
        self.pages: list[str] = []
        self.blocking: list[str] = []  # serious or critical
        self.other: list[str] = []
        self.broken: list[str] = []  # pages and static files answering 4xx/5xx, failed requests
        self.csp: list[str] = []  # Content Security Policy violations reported by the browser
        self.records: list[dict] = []  # one per check: what the results file keeps
        page.on(
            "console",
            lambda m: "Content Security Policy" in m.text and self.csp.append(f"{page.url} : {m.text[:200]}"),
        )
        # (a form re-rendered with its errors may answer a POST with 400: only GETs count)
        page.on(
            "response",
            lambda r: (
                r.status >= 400 and r.request.method == "GET" and self.broken.append(f"{r.status} {r.url}")
            ),
        )
        # net::ERR_ABORTED is a request cut short by the next navigation (DSFR artwork preloads): not an error
        page.on(
            "requestfailed",
            lambda r: (
                "ERR_ABORTED" not in (r.failure or "") and self.broken.append(f"échec {r.url} ({r.failure})")
            ),
        )

    def check(self, label: str = ""):
        page = self.page
        page.wait_for_load_state("load")
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            if page.url.startswith("http"):
                page.add_script_tag(url="/__axe__/axe.min.js")
            else:  # a page set by set_content (about:blank): no policy applies
                page.add_script_tag(path=str(AXE_JS))
        # the DSFR stylesheet is served (WhiteNoise / live server static files): Marianne font applied
        font = page.evaluate("getComputedStyle(document.body).fontFamily")
        assert "Marianne" in font, f"DSFR non chargé sur {page.url} : font-family={font!r}"
        result = page.evaluate("tags => axe.run(document, {runOnly: tags})", AXE_TAGS)
        assert result["passes"], f"axe-core n'a vérifié aucune règle sur {page.url}"
        where = f"{label or page.title()} ({page.url})"
        self.pages.append(where)
        self.records.append(
            {
                "label": label or page.title(),
                "path": urlsplit(page.url).path or "/",
                "width": page.viewport_size["width"] if page.viewport_size else None,
                "passes": len(result["passes"]),
                "violations": [
                    {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": len(v["nodes"])}
                    for v in result["violations"]
                ],
            }
        )
        for v in result["violations"]:
            targets = "; ".join(
                " ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"])
                for n in v["nodes"][:5]
            )
            line = (
                f"[{v['impact']}] {v['id']} — {v['help']} — {where} — {len(v['nodes'])} nœud(s) : {targets}"
            )
            (self.blocking if v["impact"] in ("serious", "critical") else self.other).append(line)

    def check_widths(self, label: str, widths=WIDTHS):
        """axe at each width (the page reloaded at each, as a phone would open it)."""
        for width in widths:
            self.page.set_viewport_size({"width": width, "height": 900 if width > 800 else 800})
            self.page.reload()
            self.check(f"{label} — {width} px")

    @property
    def violations(self) -> list[str]:
        """Every violation, whatever its impact (issue 18: zero on every page of every journey)."""
        return self.blocking + self.other

    def report(self) -> str:
        return "\n".join(
            [
                *(f"réponse en erreur : {b}" for b in self.broken),
                *(f"CSP : {c}" for c in self.csp),
                f"axe-core : {len(self.pages)} page(s) vérifiée(s)",
                *self.pages,
                "-- violations mineures/modérées :",
                *self.other,
                "-- violations graves/critiques :",
                *self.blocking,
            ]
        )


@pytest.fixture(scope="session")
def axe_results():
    """Every check of the session; written to ``RESULTS`` at the end when ``FJJ_AXE_RESULTS`` is
    set (``make accessibility-results``), so that a plain test run leaves the tree clean."""
    records: dict[str, list[dict]] = {}
    yield records
    if os.environ.get("FJJ_AXE_RESULTS") and records:
        write_results(records)


def write_results(records: dict[str, list[dict]], path: Path = RESULTS) -> None:
    axe_version = AXE_JS.read_text(encoding="utf-8")[:200].split("axe v", 1)[-1].split()[0]
    checks = [dict(record, journey=journey) for journey, rows in sorted(records.items()) for record in rows]
    data = {
        "generated_on": dt.date.today().isoformat(),
        "tool": f"axe-core {axe_version}",
        "browser": f"Chromium (Debian) piloté par Playwright {metadata.version('playwright')}",
        "rules": AXE_TAGS,
        "widths": list(WIDTHS),
        "checks": checks,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


@pytest.fixture
def axe(page, request, axe_results):
    checker = Axe(page)
    yield checker
    params = getattr(request.node, "callspec", None)
    journey = params.params.get("role", request.node.name) if params else request.node.name
    axe_results.setdefault(journey, []).extend(checker.records)
    assert not checker.csp, "violations de la politique de sécurité du contenu (CSP) :\n" + "\n".join(
        checker.csp
    )
