"""Template filters of the front office."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from fonds.ui.widgets import FastHiddenInput, dsfr_field_group

register = template.Library()


@register.simple_tag
def budget_line(line, legend, number=None):
    """One budget line (a form of the expense or income formset) as a DSFR fieldset.

    One row built in Python (issue 3: the budget step had ~47 fields each rendered through a
    DSFR field template, p95 63 ms at 100,000 dossiers); the fields' markup is django-dsfr's
    (``fonds.ui.widgets.dsfr_field_group``), the inputs are rendered in Python (Fast* widgets).
    """
    prefix = line.prefix
    title = format_html("{} n° {}", legend, number) if number else legend
    non_field = line.non_field_errors()
    parts = (
        [
            format_html(
                '<div class="fr-fieldset__element"><p class="fr-error-text">{}</p></div>', " ".join(non_field)
            )
        ]
        if non_field
        else []
    )
    for bf in line.visible_fields():
        inline = getattr(bf.field.widget, "input_type", None) != "checkbox"
        parts.append(
            format_html(
                '<div class="fr-fieldset__element{}">{}</div>',
                " fr-fieldset__element--inline" if inline else "",
                dsfr_field_group(bf),
            )
        )
    return format_html(
        '<fieldset class="fr-fieldset fr-background-alt--grey fr-p-2w fr-mb-2w" '
        'aria-labelledby="{}-legend" data-line>'
        '<legend class="fr-fieldset__legend fr-text--md" id="{}-legend">{}</legend>{}{}</fieldset>',
        prefix,
        prefix,
        title,
        mark_safe("".join(str(h) for h in line.hidden_fields())),
        mark_safe("".join(parts)),
    )


@register.simple_tag
def management_form(formset):
    """A formset's management form (its hidden counters), inputs rendered in Python.

    Same ``<input type="hidden">`` as ``{{ formset.management_form }}``, without its form and
    widget templates; a tampered management form is reported by the formset's own errors.
    """
    widget = FastHiddenInput()
    return mark_safe("".join(bf.as_widget(widget=widget) for bf in formset.management_form.hidden_fields()))
