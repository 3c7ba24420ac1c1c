"""Canonical encoding: the exact text that is hashed and stored."""

import datetime as dt
import hashlib
import uuid
from collections import OrderedDict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext_lazy

from fonds.audit.canonical import GENESIS_HASH, canonical, chain_hash, utc_iso


def test_keys_sorted_no_spaces_utf8_kept():
    assert canonical({"b": 1, "a": {"d": [1, 2], "c": "é"}}) == '{"a":{"c":"é","d":[1,2]},"b":1}'
    assert canonical({"texte": "Élan — « ça »"}).encode("utf-8") == '{"texte":"Élan — « ça »"}'.encode()


def test_escapes_like_json():
    assert canonical({"q": 'a"b\\c\n'}) == '{"q":"a\\"b\\\\c\\n"}'


def test_decimal_as_string_never_float():
    assert canonical({"montant": Decimal("1500.00")}) == '{"montant":"1500.00"}'
    assert canonical({"montant": Decimal("1E+3")}) == '{"montant":"1000"}'
    with pytest.raises(TypeError, match="flottant"):
        canonical({"montant": 1500.0})
    with pytest.raises(TypeError, match="flottant"):
        canonical({"lignes": [{"montant": 0.1}]})
    with pytest.raises(TypeError, match="flottant"):
        canonical({"ensemble": {1.5}})
    with pytest.raises(TypeError, match="non fini"):
        canonical({"montant": Decimal("NaN")})


def test_datetimes_utc_iso_and_naive_refused():
    paris = dt.datetime(2030, 7, 1, 12, 0, 0, 5, tzinfo=ZoneInfo("Europe/Paris"))
    assert canonical({"at": paris}) == '{"at":"2030-07-01T10:00:00.000005Z"}'
    assert utc_iso(paris) == "2030-07-01T10:00:00.000005Z"
    with pytest.raises(TypeError, match="sans fuseau"):
        canonical({"at": dt.datetime(2030, 7, 1, 12, 0)})
    with pytest.raises(ValueError, match="sans fuseau"):
        utc_iso(dt.datetime(2030, 7, 1, 12, 0))


def test_other_types():
    u = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert canonical({"d": dt.date(2030, 7, 1), "u": u, "s": {"b", "a"}, "l": gettext_lazy("oui")}) == (
        '{"d":"2030-07-01","l":"oui","s":["a","b"],"u":"12345678-1234-5678-1234-567812345678"}'
    )
    with pytest.raises(TypeError, match="non canonique"):
        canonical({"x": object()})
    with pytest.raises(TypeError, match="clés"):
        canonical({1: "x"})


def test_chain_hash_is_sha256_of_previous_then_text():
    text = canonical({"a": "é"})
    assert (
        chain_hash(GENESIS_HASH, text)
        == hashlib.sha256(GENESIS_HASH.encode("ascii") + text.encode("utf-8")).hexdigest()
    )


def test_float_refused_inside_a_dict_subclass():
    """An ordered or default dict is still a dict: its floats and non-string keys are refused too."""
    with pytest.raises(TypeError, match="flottant"):
        canonical({"lignes": OrderedDict(montant=0.1)})
    with pytest.raises(TypeError, match="clés"):
        canonical({"lignes": OrderedDict({1: "x"})})


def test_datetime_whose_zone_gives_no_offset_is_refused():
    """A zone that cannot say its offset makes a naive date-time: refused like one."""

    class NoOffset(dt.tzinfo):
        def utcoffset(self, value):
            return None

    moment = dt.datetime(2030, 7, 1, 12, 0, tzinfo=NoOffset())
    with pytest.raises(ValueError, match="sans fuseau"):
        utc_iso(moment)
    with pytest.raises(TypeError, match="sans fuseau"):
        canonical({"at": moment})


def test_float_refused_next_to_text_and_numbers():
    """Every value is checked, whatever comes next to a float."""
    with pytest.raises(TypeError, match="flottant"):
        canonical({"a": 0.5, "b": "texte", "c": 1, "d": None, "e": True})
