"""Free-text search over a dossier: ``Dossier.search_text`` is its reference, title, commune name
and INSEE code, lower-cased, accents and ligatures folded, hyphens and apostrophes as spaces.

The database computes the column (a stored generated column from ``SearchFold``): right on every
write path, creation, ``bulk_create``, ``update()`` and the commune copy's triggers included
(docs/benchmarks.md, search). ``fold`` applies the same table to a query in Python, so both sides
agree character for character. Changing ``FOLD`` needs a migration that rebuilds the column.
"""

from __future__ import annotations

import string
import unicodedata

from django.db.models import Func, TextField
from django.db.models.functions import Cast

#: letters with diacritics of Latin-1 and Latin Extended-A → their base letters, lower case
_SPECIAL = {"ß": "ss", "Æ": "ae", "æ": "ae", "Œ": "oe", "œ": "oe", "Ø": "o", "ø": "o", "Đ": "d", "đ": "d"}
_SPECIAL |= {"Ł": "l", "ł": "l", "Ð": "d", "ð": "d", "Þ": "th", "þ": "th", "ı": "i", "Ħ": "h", "ħ": "h"}


def _base(char: str) -> str | None:
    if char in _SPECIAL:
        return _SPECIAL[char]
    bare = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return bare.lower() if bare != char and bare.isascii() and bare.isalpha() else None


#: character → replacement (one character or more); what is not in it stays as it is
FOLD: dict[str, str] = {c: c.lower() for c in string.ascii_uppercase}
FOLD |= {chr(n): _base(chr(n)) for n in range(0xC0, 0x180) if _base(chr(n))}
FOLD |= {c: " " for c in "-'\u2019\u2018\u02bc"}
_TABLE = str.maketrans(FOLD)


def fold(text: str) -> str:
    """``text`` as ``search_text`` holds it: « Saint-Étienne » → « saint etienne »."""
    return text.translate(_TABLE)


def words(query: str) -> list[str]:
    """The folded words of a search box (split on spaces, each kept whole: « FJJ-2026-000123 » is
    one word, found as « fjj 2026 000123 »); a dossier matches when its text contains each."""
    return [w for w in (fold(part).strip() for part in query.split()) if w]


#: the SQL name of ``fold`` on SQLite connections
SQLITE_FUNCTION = "fjj_search_fold"


def _fold_or_null(text):
    return None if text is None else fold(text)


def register_sqlite(sender, connection, **kwargs):
    """``connection_created`` receiver: ``fold`` as an SQLite function (Django's backend registers
    its own the same way). A non-Django SQLite client can read the dossiers but not write them."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 1, _fold_or_null, deterministic=True)


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class SearchFold(Func):
    """``fold(a || ' ' || b || …)`` in SQL, immutable (a generated column may use it): PostgreSQL
    ``translate`` for single characters and ``replace`` for ligatures; SQLite (no ``translate``,
    and a parser that refuses 200 nested ``replace``) ``fold`` itself, a deterministic function
    registered on each of Django's connections (``register_sqlite``)."""

    output_field = TextField()

    def __init__(self, *expressions, **extra):
        super().__init__(*(Cast(expression, TextField()) for expression in expressions), **extra)

    def _joined(self, compiler, connection):
        sqls = []
        for arg in self.source_expressions:
            sql, params = compiler.compile(arg)
            if params:  # the DDL of a generated column takes no parameters
                raise ValueError("SearchFold: columns only")
            sqls.append(sql)
        return "(" + " || ' ' || ".join(sqls) + ")"

    def as_postgresql(self, compiler, connection, **extra_context):
        sql = self._joined(compiler, connection)
        single = {c: r for c, r in FOLD.items() if len(r) == 1}
        sql = f"translate({sql}, {_quoted(''.join(single))}, {_quoted(''.join(single.values()))})"
        for char, replacement in FOLD.items():
            if len(replacement) > 1:
                sql = f"replace({sql}, {_quoted(char)}, {_quoted(replacement)})"
        return sql, []

    def as_sqlite(self, compiler, connection, **extra_context):
        return f"{SQLITE_FUNCTION}({self._joined(compiler, connection)})", []

    def as_sql(self, compiler, connection, **extra_context):
        raise NotImplementedError(f"SearchFold: no SQL for {connection.vendor}")
