"""The Content Security Policy allows no inline script, no style attribute and no event-handler
attribute: every HTML template must do without (PDF and email templates are not served to browsers)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INLINE = {
    "inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "event-handler attribute": re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def _served_templates():
    for base in [ROOT / "templates", *ROOT.glob("fonds/*/templates"), ROOT / "workflows" / "templates"]:
        for path in base.rglob("*.html"):
            rel = path.relative_to(base).as_posix()
            if rel.startswith("pdf/") or "/emails/" in f"/{rel}" or "/pdf/" in f"/{rel}":
                continue
            yield path


def test_templates_found():
    assert sum(1 for _ in _served_templates()) > 50


@pytest.mark.parametrize("path", sorted(_served_templates()), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_inline_code_in_served_template(path):
    text = path.read_text(encoding="utf-8")
    problems = [
        f"{label} ligne {text[: m.start()].count(chr(10)) + 1}"
        for label, rx in INLINE.items()
        for m in rx.finditer(text)
    ]
    assert not problems, f"{path.relative_to(ROOT)} : " + ", ".join(problems)
