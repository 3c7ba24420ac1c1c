"""Display helpers of the instruction pages."""

import unicodedata

from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from fonds.dossiers.models import Dossier
from fonds.formats import euros, number, short_date
from fonds.ui.templatetags.fjj import action_label
from fonds.ui.widgets import dsfr_field_group

register = template.Library()

RESULT_BADGES = {"pass": "success", "fail": "error", "not_applicable": "info"}


@register.filter
def field_group(bf):
    """django-dsfr's field group (label, hint, widget, errors) built in Python: the markup of
    ``as_field_group`` without its templates (``fonds.ui.widgets.dsfr_field_group``)."""
    return mark_safe(dsfr_field_group(bf))


#: the columns of ``dossier_rows`` (the list's and the queues' table): what ``views._list_rows`` loads
ROW_FIELDS = (
    "reference",
    "title",
    "status",
    "submitted_at",
    "requested_amount",
    "corrections_due",
    "agreement_due",
    "commune__code",
    "commune__name",
    "commune__population",
    "commune__zone",
    "instructor__email",
    "assessment__score_total",
    "assessment__complete",
)


def _day(value) -> str:
    return "" if value is None else short_date(value)


@register.simple_tag
def dossier_rows(rows):
    """The ``<tr>`` of the dossiers table, built in Python (one template per cell cost ≈ 10 ms a
    page of 50). Same cells as before: number (link), commune (code, population, overseas), title
    (50 characters), status badge, submission day, requested amount, score (partial or not),
    instructor, next deadline (corrections, else agreement). Everything is escaped by
    ``format_html``."""
    link = reverse("instruction:dossier", args=[987654321])
    status_labels = {
        value: str(label) for value, label in Dossier._meta.get_field("status").flatchoices
    }  # get_status_display, once

    def chars(text, length):  # Truncator(text).chars(length), without its cost when nothing is cut
        return (
            text
            if len(text) <= length and unicodedata.is_normalized("NFC", text)
            else Truncator(text).chars(length)
        )

    out = []
    for d in rows:
        commune = d.commune
        about = commune.code
        if commune.population is not None:
            about += f", {number(commune.population)} hab."
        if commune.zone != "metro":
            about += ", outre-mer"
        try:
            assessment = d.assessment
        except ObjectDoesNotExist:
            assessment = None
        if assessment is not None and assessment.score_total is not None:
            score = format_html(
                "{}{}",
                assessment.score_total,
                "" if assessment.complete else mark_safe(" <small>(partielle)</small>"),
            )
        else:
            score = "—"
        instructor = chars(d.instructor.email, 24) if d.instructor_id and d.instructor else "—"
        out.append(
            (
                link.replace("987654321", str(d.pk)),
                d.reference,
                commune.name,
                about,
                chars(d.title, 50),
                status_labels.get(d.status, d.status),
                _day(d.submitted_at) or "—",
                "—" if d.requested_amount is None else euros(d.requested_amount),
                score,
                instructor,
                _day(d.corrections_due) or _day(d.agreement_due) or "—",
            )
        )
    if not out:
        return mark_safe('<tr><td colspan="9">Aucun dossier.</td></tr>')
    return format_html_join(
        "\n",
        '<tr><td class="fjj-nowrap"><a href="{}">{}</a></td><td>{} <small>({})</small></td><td>{}</td>'
        '<td><p class="fr-badge fr-badge--sm fr-badge--no-icon fr-badge--info">{}</p></td>'
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        out,
    )


@register.filter
def result_badge(result: str) -> str:
    return RESULT_BADGES.get(result, "info")


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def event_label(action: str) -> str:
    """The French label of an audit event (``fjj.action_label`` knows the instruction's events)."""
    return action_label(action)
