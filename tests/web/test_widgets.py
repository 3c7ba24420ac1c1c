from django import forms

from fonds.ui.widgets import FastSelect


class _Form(forms.Form):
    country = forms.ChoiceField(
        choices=[("", "Choisissez"), ("DE", "Allemagne"), ("IT", "Italie <&>")], widget=FastSelect
    )


def test_fast_select_renders_like_a_select_with_escaped_labels_and_selection():
    html = str(_Form(initial={"country": "IT"})["country"])
    assert (
        html.startswith("<select ")
        and 'name="country"' in html
        and 'id="id_country"' in html
        and " required" in html
    )
    assert '<option value="IT" selected>Italie &lt;&amp;&gt;</option>' in html
    assert '<option value="DE">Allemagne</option>' in html


def test_fast_select_reselects_a_valid_submitted_value():
    form = _Form(data={"country": "DE"})
    assert form.is_valid()
    assert '<option value="DE" selected>Allemagne</option>' in str(form["country"])
