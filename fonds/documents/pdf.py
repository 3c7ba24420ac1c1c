"""Every PDF of the fund is written through ``write_pdf`` (WeasyPrint, ``render.py``).

WeasyPrint is loaded on the first PDF, not when Django starts: it brings about 400 modules and
46,000 objects that every full garbage collection of every process would otherwise walk
(docs/benchmarks.md, « Issue 15: A/B after the restructuring »).
"""

from __future__ import annotations


def write_pdf(html: str) -> bytes:
    """The PDF of ``html`` (a rendered template), resources fetched only from the project."""
    from .render import write_pdf as render_pdf  # noqa: PLC0415 — WeasyPrint on first use only

    return render_pdf(html)
