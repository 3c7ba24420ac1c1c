"""Request parsers of the API: what cannot be stored is refused here, once, for every endpoint.

JSON nested deeper than ``FJJ_API_MAX_JSON_DEPTH`` (it overflowed the stack: a 500), and NUL
characters or lone UTF-16 surrogates in any key or string (neither can be stored) are a 400:
a ``ParseError`` with a French message.
"""

from __future__ import annotations

import re

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, MultiPartParser

INVALID_CHARACTER = re.compile("[\x00\ud800-\udfff]")
NOT_JSON = "Le corps de la requête n'est pas un JSON valide."
UNREADABLE_FORM = (
    "Le formulaire envoyé n'a pas pu être lu (nom de fichier trop long, envoi interrompu ou mal formé)."
)
NUL_CHARACTER = "Le JSON envoyé contient un caractère nul (\\u0000), refusé dans tout texte."
LONE_SURROGATE = (
    "Le JSON envoyé contient un caractère invalide (demi-paire UTF-16 isolée, \\ud800 à \\udfff)."
)


def max_depth() -> int:
    return int(getattr(settings, "FJJ_API_MAX_JSON_DEPTH", 20))


def too_deep(limit: int) -> ParseError:
    return ParseError(
        f"Le JSON envoyé est imbriqué trop profondément ({limit} niveaux au plus).", code="too_deep"
    )


def check_parsed(data, limit: int) -> None:
    """Walk the parsed body without recursion: depth of lists and objects, text of keys and strings."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, (dict, list)):
            if depth > limit:
                raise too_deep(limit)
            if isinstance(value, dict):
                for key, item in value.items():
                    _check_text(key)
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)


def _check_text(text: str) -> None:
    match = INVALID_CHARACTER.search(text)
    if match is None:
        return
    if match.group() == "\x00":
        raise ParseError(NUL_CHARACTER, code="nul_character")
    raise ParseError(LONE_SURROGATE, code="invalid_character")


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = max_depth()
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise too_deep(limit) from None
        except ParseError:
            raise ParseError(NOT_JSON, code="parse_error") from None
        check_parsed(data, limit)
        return data


class SafeMultiPartParser(MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except ParseError:
            raise ParseError(UNREADABLE_FORM, code="unreadable_form") from None
