"""WeasyPrint behind the fund's walls: a closed URL fetcher and one font configuration per process.

Templates autoescape what users typed, so no markup of theirs reaches WeasyPrint; the fetcher is
the second wall: a PDF may load the fund's own static files (``file:`` under ``BASE_DIR``) and
``data:`` URIs, never an ``http(s)`` URL (no request from the server to an address a user chose)
nor a file outside the project.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from celery.signals import worker_process_init
from django.conf import settings
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

_font_config = None
_fetcher = None


class ForbiddenResource(ValueError):
    pass


class SafeURLFetcher(URLFetcher):
    """``file:`` under BASE_DIR and ``data:`` only; anything else raises (the resource is skipped)."""

    def __init__(self):
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False, timeout=2)

    def fetch(self, url, headers=None):
        parsed = urlparse(url)
        if parsed.scheme == "data":
            return super().fetch(url, headers)
        if parsed.scheme == "file":
            path = Path(unquote(parsed.path)).resolve()
            if path.is_relative_to(Path(settings.BASE_DIR).resolve()):
                return super().fetch(url, headers)
        raise ForbiddenResource(f"ressource refusée dans un PDF : {url[:100]}")


def _url_fetcher() -> SafeURLFetcher:
    global _fetcher
    if _fetcher is None:
        _fetcher = SafeURLFetcher()
    return _fetcher


def safe_url_fetcher(url: str):
    return _url_fetcher().fetch(url)


def fonts():
    """One WeasyPrint font configuration per process (building it per document costs a third of
    the generation time, see docs/benchmarks.md)."""
    global _font_config
    if _font_config is None:
        _font_config = FontConfiguration()
    return _font_config


def write_pdf(html: str) -> bytes:
    return HTML(string=html, base_url=str(settings.BASE_DIR), url_fetcher=_url_fetcher()).write_pdf(
        font_config=fonts()
    )


@worker_process_init.connect(dispatch_uid="fonds.documents.warm_pdf_renderer")
def warm_pdf_renderer(**kwargs) -> None:
    """Each Celery worker process lays out one tiny PDF as it starts, so that its first real
    document (receipt, decision letter) does not pay the font loading: with two processes, both
    paid it within the first letters of a batch (docs/benchmarks.md, issue 19)."""
    write_pdf("<p>Fonds Jumelages Jeunesse</p>")
