"""Every money input reads what a French person types (« 5 500 », « 5 500,50 », « 5500.50 », with
no-break or narrow no-break spaces) and says what it refused — on screens and in the API.

The list of money fields is found, not written down: every field of a form of ``fonds`` whose label
speaks of euros or of an amount, plus the rule editor's fields (made per rule version). A new euro
field that is not an ``AmountField`` fails ``test_every_euro_form_field_is_an_amount_field``."""

from __future__ import annotations

import importlib
import pkgutil
import re
from decimal import Decimal as D

import pytest
from django import forms
from django.core.exceptions import ValidationError
from rest_framework import serializers

import fonds
from fonds.administration.forms import RulesForm
from fonds.api.serializers import BudgetLineSerializer, DossierWriteSerializer, TransitionRequestSerializer
from fonds.formats import euros
from fonds.referentiel.rules import DEFAULT_RULES
from fonds.ui.api import AmountSerializerField
from fonds.ui.fields import AmountField

MONEY_LABEL = re.compile(r"€|\beuros?\b|\bmontant|\benveloppe", re.IGNORECASE)

FRENCH_INPUTS = [
    ("5 500", D("5500")),
    ("5 500,50", D("5500.50")),
    ("5500.50", D("5500.50")),
    ("5500,5", D("5500.5")),
    ("5\u00a0500,50", D("5500.50")),  # no-break space
    ("5\u202f500,50", D("5500.50")),  # narrow no-break space (what the DSFR and fonds.formats print)
    ("5 500 €", D("5500")),
    ("5.500,50", D("5500.50")),
]


def _form_classes():
    for module in pkgutil.walk_packages(fonds.__path__, "fonds."):
        if ".migrations" not in module.name and module.name.rsplit(".", 1)[-1] in (
            "forms",
            "budget_forms",
            "filters",
        ):
            importlib.import_module(module.name)
    stack, seen = [forms.BaseForm], []
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("fonds.") and sub not in seen:
                seen.append(sub)
    return seen


def _number_fields():
    """(where, field) for every number field a person fills in: declared ones and the rule editor's."""
    out = []
    for cls in _form_classes():
        for name, field in cls.base_fields.items():
            if isinstance(field, (forms.DecimalField, forms.IntegerField, forms.FloatField)):
                out.append((f"{cls.__module__}.{cls.__name__}.{name}", field))
    rules = RulesForm(current=DEFAULT_RULES)
    out += [(f"RulesForm.{name}", field) for name, field in rules.fields.items()]
    return [(where, field) for where, field in out if not isinstance(field.widget, forms.HiddenInput)]


NUMBER_FIELDS = _number_fields()
MONEY_FIELDS = [(where, f) for where, f in NUMBER_FIELDS if MONEY_LABEL.search(str(f.label or ""))]


def test_money_fields_are_found_on_every_screen_that_takes_an_amount():
    found = {where.rsplit(".", 2)[-2] + "." + where.rsplit(".", 1)[-1] for where, _ in MONEY_FIELDS}
    for expected in (
        "BudgetForm.requested_amount",  # the mayor's request
        "ExpenseLineForm.amount",  # budget lines (filing, final report)
        "AmountForm.amount",  # the instructor's proposed amount
        "OpenVoteForm.amount",  # the committee's vote and decision
        "DecisionForm.amount",
        "TopUpForm.envelope",  # the envelope and its top-up
        "CampaignForm.envelope",
        "OrderFilterForm.amount_min",  # payments and instruction filters
        "DossierFilterForm.amount_max",
        "RulesForm.amount__cap",  # the rule editor's amounts and travel bands
        "RulesForm.band_0_standard",
    ):
        assert expected in found


def test_every_euro_form_field_is_an_amount_field():
    wrong = [where for where, field in MONEY_FIELDS if not isinstance(field, AmountField)]
    assert wrong == []


@pytest.mark.parametrize("where,field", MONEY_FIELDS, ids=[w for w, _ in MONEY_FIELDS])
def test_money_field_reads_french_inputs(where, field):
    for typed, amount in FRENCH_INPUTS:
        limit = field.max_value
        if limit is not None and amount > limit:  # a small bound (a tariff): the same typing, smaller
            typed, amount = typed.replace("5", "1", 1), D(str(amount).replace("5", "1", 1))
        assert field.clean(typed) == amount, (where, typed)


@pytest.mark.parametrize("where,field", MONEY_FIELDS, ids=[w for w, _ in MONEY_FIELDS])
def test_money_field_says_what_it_refused(where, field):
    with pytest.raises(ValidationError) as refused:
        field.clean("5 5OO")  # a letter O for a zero
    assert "« 5 5OO »" in refused.value.messages[0] and "5 500,50" in refused.value.messages[0]
    with pytest.raises(ValidationError) as refused:
        field.clean("12,345")
    assert "deux décimales" in refused.value.messages[0].lower()
    with pytest.raises(ValidationError) as refused:
        field.clean("-5")
    assert "négatif" in refused.value.messages[0] or "au moins" in refused.value.messages[0]


def test_amount_field_says_its_limits_in_euros():
    field = AmountField(min_value=D("1000"), max_value=D("15000"))
    with pytest.raises(ValidationError) as refused:
        field.clean("999")
    assert refused.value.messages == [f"Montant refusé : il doit être d'au moins {euros(1000)}."]
    with pytest.raises(ValidationError) as refused:
        field.clean("15 000,01")
    assert refused.value.messages == [f"Montant refusé : il doit être d'au plus {euros(15000)}."]


API_AMOUNTS = [
    (BudgetLineSerializer, "amount"),
    (DossierWriteSerializer, "requested_amount"),
    (TransitionRequestSerializer, "proposed_amount"),
]


@pytest.mark.parametrize("serializer,name", API_AMOUNTS, ids=[f"{s.__name__}.{n}" for s, n in API_AMOUNTS])
def test_api_amount_reads_french_inputs_and_says_what_it_refused(serializer, name):
    field = serializer().fields[name]
    assert isinstance(field, AmountSerializerField)
    for typed, amount in FRENCH_INPUTS:
        assert field.to_internal_value(typed) == amount
    assert field.to_internal_value(5500.5) == D("5500.50") and field.to_internal_value("5500") == D("5500")
    with pytest.raises(serializers.ValidationError) as refused:
        field.to_internal_value("5 5OO")
    assert "« 5 5OO »" in str(refused.value.detail[0])
    with pytest.raises(serializers.ValidationError):
        field.to_internal_value("100,123")  # cents at most
