"""Display helpers of the instruction pages."""

import unicodedata

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from fonds.dossiers.models import Dossier
from fonds.formats import euros, number, short_date
from fonds.ui.templatetags.fjj import action_label
from fonds.ui.widgets import dsfr_field_group, escaped

register = template.Library()

RESULT_BADGES = {"pass": "success", "fail": "error", "not_applicable": "info"}


@register.filter
def field_group(bf):
    """django-dsfr's field group (label, hint, widget, errors) built in Python: the markup of
    ``as_field_group`` without its templates (``fonds.ui.widgets.dsfr_field_group``)."""
    return mark_safe(dsfr_field_group(bf))


#: the columns of ``dossier_rows`` (the list's and the queues' table): what ``views._list_rows`` reads,
#: as named tuples (``row.commune__name``): 200 model instances a page cost ≈ 3.5 ms of CPU
ROW_FIELDS = (
    "pk",
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
    page of 50), from rows of ``ROW_FIELDS`` (``values_list(*ROW_FIELDS, named=True)``). Same
    cells as before: number (link), commune (code, population, overseas), title (50 characters),
    status badge, submission day, requested amount, score (partial or not), instructor, next
    deadline (corrections, else agreement). Every cell is escaped (``escaped``)."""
    link = reverse("instruction:dossier", args=[987654321])
    status_labels = {
        value: str(label) for value, label in Dossier._meta.get_field("status").flatchoices
    }  # get_status_display, once

    ellipsis = Truncator("xx").chars(1)  # « … »: the translated truncation text, once a page

    def chars(text, length):
        """``Truncator(text).chars(length)`` without its cost (≈ 20 µs a title, most titles are
        cut): the same cut when every character counts as one (composed, no combining mark)."""
        if not unicodedata.is_normalized("NFC", text) or any(map(unicodedata.combining, text)):
            return Truncator(text).chars(length)
        return text if len(text) <= length else text[: length - len(ellipsis)] + ellipsis

    out = []
    for d in rows:
        about = d.commune__code
        if d.commune__population is not None:
            about += f", {number(d.commune__population)} hab."
        if d.commune__zone != "metro":
            about += ", outre-mer"
        if d.assessment__score_total is not None:
            score = format_html(
                "{}{}",
                d.assessment__score_total,
                "" if d.assessment__complete else mark_safe(" <small>(partielle)</small>"),
            )
        else:
            score = "—"
        instructor = chars(d.instructor__email, 24) if d.instructor__email else "—"
        out.append(
            (
                link.replace("987654321", str(d.pk)),
                d.reference,
                d.commune__name,
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
    # format_html_join without Django's conditional_escape per cell (≈ 550 a page, through its
    # lazy-string wrapper): the same escaping (html.escape of str), safe cells kept as they are
    row = (
        '<tr><td class="fjj-nowrap"><a href="{}">{}</a></td><td>{} <small>({})</small></td><td>{}</td>'
        '<td><p class="fr-badge fr-badge--sm fr-badge--no-icon fr-badge--info">{}</p></td>'
        "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"
    )
    return mark_safe("\n".join(row.format(*map(escaped, cells)) for cells in out))


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
