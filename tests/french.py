"""French as the fund writes it, for the tests that read what people read: dates spelled out here
rather than read from ``fonds.formats`` (a test comparing a document with them can fail), and the
checker of the page walk and of the documents and emails walk (issue 18): no English word, code
identifier or raw JSON reaching a reader."""

from __future__ import annotations

import re
from html.parser import HTMLParser

MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def french_date(day) -> str:
    """``day`` (a date or datetime) as Django's ``"j F Y"`` writes it in French: « 5 décembre 2026 »."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


# ---- what no French reader may meet (the page walk, the documents and emails walk) ---------------

#: English a French page never shows (whole words, case-sensitive where a French word could clash)
ENGLISH = re.compile(
    r"\b(?:the|and|of the|Ranking|committee|Submit|Cancel|Save|Delete|Page not found|Not Found|"
    r"Server Error|Forbidden|Next|Previous|None|True|False|null|undefined|NaN)\b"
)
#: a code identifier: two lower-case words joined by an underscore (e.g. « president_suppleant »);
#: not a file's name (« convention_signee.pdf » as the commune uploaded it, a script's path)
SNAKE = re.compile(r"(?<![/.\w])[a-z]+(?:_[a-z0-9]+)+\b(?!\.[a-z]{2,4}\b)")
#: raw JSON: a quoted key followed by a colon (« "content_type": »)
RAW_JSON = re.compile(r"\"[A-Za-z_]+\"\s*:")


def text_problems(text: str) -> list[str]:
    """English words, code identifiers and raw JSON in ``text`` (a page's visible text, a PDF's or
    an email's), each quoted with some context."""
    text = " ".join(text.split())
    found = []
    for pattern, what in ((ENGLISH, "English"), (SNAKE, "code identifier"), (RAW_JSON, "raw JSON")):
        for match in pattern.finditer(text):
            found.append(f"{what}: « …{text[max(0, match.start() - 30) : match.end() + 30]}… »")
    return found


#: elements without an end tag (never on the stack of open elements)
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
#: the DSFR's scrolling containers of a table: ``.fr-table > table`` (its classic markup, the table
#: scrolls) and ``.fr-table__container > .fr-table__content > table`` (DSFR 1.12+)
SCROLLING_PARENTS = frozenset({"fr-table", "fr-table__content"})


class Page(HTMLParser):
    """The ids, the labels' targets, the visible text of one page, and its tables outside a DSFR
    scrolling container (on a narrow screen, their last columns would be cut off)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.label_targets: list[str] = []
        self.text: list[str] = []
        self.unscrollable_tables: list[str] = []
        self._hidden = 0
        self._open: list[tuple[str, set]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.append(attrs["id"])
        if tag == "label" and attrs.get("for"):
            self.label_targets.append(attrs["for"])
        if tag in ("script", "style", "template"):
            self._hidden += 1
        if tag == "table" and attrs.get("role") != "presentation":
            parent = self._open[-1][1] if self._open else set()
            if not parent & SCROLLING_PARENTS:
                self.unscrollable_tables.append(
                    attrs.get("id") or f"tableau n° {len(self.unscrollable_tables) + 1}"
                )
        if tag not in VOID:
            self._open.append((tag, set((attrs.get("class") or "").split())))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self._open:
            self._open.pop()

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1
        for depth in range(len(self._open) - 1, -1, -1):  # implicit ends (an unclosed <p>) close too
            if self._open[depth][0] == tag:
                del self._open[depth:]
                break

    def handle_data(self, data):
        if not self._hidden:
            self.text.append(data)


def visible_text(html: str) -> str:
    """What a reader sees of ``html`` (no script, style or template)."""
    page = Page()
    page.feed(html)
    return " ".join(page.text)
