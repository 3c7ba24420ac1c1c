"""The budget step's lines are rendered in Python (issue 3 performance), with django-dsfr's markup:
every field keeps its visible label, hint, error message and the ARIA links between them."""

import re

import pytest
from django.urls import reverse

from fonds.depot import budget_forms as f
from fonds.depot.templatetags.depot_tags import budget_line, management_form
from fonds.formats import euros, pct
from fonds.ui.widgets import FastCheckboxInput, FastHiddenInput, FastTextInput, dsfr_field_group

from .test_steps import budget_post

pytestmark = pytest.mark.django_db


def step_url(dossier):
    return reverse("depot:step", args=[dossier.pk, "budget"])


def test_fast_inputs_render_the_same_input_as_django():
    from django import forms

    for fast, slow, value in (
        (
            FastTextInput(attrs={"class": "fr-input", "inputmode": "decimal"}),
            forms.TextInput(attrs={"class": "fr-input", "inputmode": "decimal"}),
            "1 500,50 <b>",
        ),
        (FastCheckboxInput(), forms.CheckboxInput(), True),
        (FastCheckboxInput(), forms.CheckboxInput(), False),
        (FastHiddenInput(), forms.HiddenInput(), 5),
    ):

        def attrs(html):
            return sorted(re.findall(r'\s([a-z-]+)(?:="([^"]*)")?', html))

        a, b = (
            fast.render("n-0-x", value, {"id": "id_n-0-x"}),
            slow.render("n-0-x", value, {"id": "id_n-0-x"}),
        )
        assert a.startswith("<input ") and attrs(a) == attrs(b)
    assert "&lt;b&gt;" in FastTextInput().render("x", "<b>")


def test_budget_line_field_groups_have_visible_labels_and_hints():
    line = f.ExpenseFormSet(prefix="depenses").forms[0]
    html = str(budget_line(line, "Dépense", 1))
    assert 'aria-labelledby="depenses-0-legend"' in html and ">Dépense n° 1</legend>" in html
    for name, label in (
        ("category", "Catégorie de dépense"),
        ("label", "Libellé (facultatif)"),
        ("amount", "Montant (€)"),
        ("eligible", "Dépense éligible"),
        ("DELETE", "Supprimer cette ligne"),
    ):
        assert re.search(rf'<label for="id_depenses-0-{name}" class="fr-label">{re.escape(label)}', html), (
            name
        )
        assert f'id="id_depenses-0-{name}"' in html
    assert (
        'aria-describedby="id_depenses-0-eligible_helptext"' in html
        and 'id="id_depenses-0-eligible_helptext"' in html
    )
    assert 'class="fr-select"' in html and html.count('class="fr-input"') == 2 and "fr-checkbox-group" in html
    assert "aria-invalid" not in html


def test_budget_line_errors_are_shown_under_the_field_and_linked():
    line = f.ExpenseFormSet(budget_post([("travel", "", True)], []), prefix="depenses").forms[0]
    html = str(dsfr_field_group(line["amount"]))
    assert "fr-input-group--error" in html
    assert 'aria-invalid="true"' in html and 'aria-describedby="id_depenses-0-amount-desc-error"' in html
    assert re.search(
        r'<div id="id_depenses-0-amount-desc-error">.*Indiquez le montant de cette ligne\..*</div>',
        html,
        re.S,
    )


def test_management_form_renders_the_formset_counters():
    html = str(
        management_form(f.IncomeFormSet(initial=[{"category": "own_share", "amount": 1}], prefix="recettes"))
    )
    for name, value in (
        ("TOTAL_FORMS", 2),
        ("INITIAL_FORMS", 1),
        ("MIN_NUM_FORMS", 0),
        ("MAX_NUM_FORMS", 30),
    ):
        assert (
            f'name="recettes-{name}"' in html
            and f'value="{value}"' in html
            and f'id="id_recettes-{name}"' in html
        )


def test_budget_step_page_keeps_the_line_template_for_the_add_button(porteur_client, draft):
    html = porteur_client.get(step_url(draft)).content.decode()
    template = re.search(r'<template id="depenses-empty">(.*?)</template>', html, re.S).group(1)
    assert 'name="depenses-__prefix__-amount"' in template and ">Nouvelle dépense</legend>" in template
    assert 'data-formset-add="recettes"' in html and 'id="id_recettes-TOTAL_FORMS"' in html
    assert (
        html.count('<fieldset class="fr-fieldset fr-background-alt--grey')
        == draft.budget_lines.count() + 2 + 2
    )  # lines, one blank each, two templates
    assert "data-autosave" in html


def test_budget_step_bad_input_is_kept_and_explained(porteur_client, empty_draft):
    html = porteur_client.post(
        step_url(empty_draft), budget_post([("travel", "12abc", True)], [("", "40")])
    ).content.decode()
    assert 'value="12abc"' in html and "« 12abc » n&#x27;est pas un nombre d&#x27;euros" in html
    assert (
        "Choisissez la catégorie de cette ligne." in html
        and 'aria-describedby="id_recettes-0-category-desc-error"' in html
    )
    assert 'href="#id_depenses-0-amount"' in html  # the error summary links to the field


def test_requested_amount_help_says_the_bounds_of_the_dossier_rules(porteur_client, empty_draft):
    rules = empty_draft.campaign.rules
    params = rules.params
    params["eligibility"].update(min_request="1500", max_request="12000", max_grant_pct_of_eligible="70")
    rules.new_version(params, note="bornes E6")  # a draft follows the campaign's current version
    html = porteur_client.get(step_url(empty_draft)).content.decode()
    assert f"Entre {euros(1500)} et {euros(12000)}, et au plus {pct(70)} des dépenses éligibles." in html
