"""Widgets rendered in Python where Django's per-option templates are too slow."""

import html

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from dsfr.templatetags.dsfr_tags import dsfr_mark_optionnal_fields
from dsfr.utils import dsfr_input_class_attr


class FastSelect(forms.Select):
    """A ``<select>`` whose options are rendered in Python, not one template each.

    With ~200 countries Django renders ~200 option templates (≈ 40 ms per page); this builds the
    same markup (each key and label through ``escaped``) in well under a millisecond. Flat choices only.
    """

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs or {})
        final_attrs["name"] = name
        selected = {
            "" if v is None else str(v) for v in (value if isinstance(value, (list, tuple)) else [value])
        }
        options = "".join(
            f'<option value="{escaped(key)}"{" selected" if str(key) in selected else ""}>'
            f"{escaped(label)}</option>"
            for key, label in self.choices
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), mark_safe(options))


def escaped(value) -> str:
    """``conditional_escape(value)`` as a string, without its lazy-string wrapper (a few µs a
    call, hundreds of options a page): the value's own ``__html__()`` if it has one, else
    ``html.escape(str(value))`` (what Django's ``escape`` does)."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def template_attrs(attrs: dict) -> str:
    """``django/forms/widgets/attrs.html`` in Python: the attributes in their order, ``True`` bare,
    ``False`` left out (``flatatt`` sorts them and drops ``None``)."""
    return mark_safe(
        "".join(
            format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
            for name, value in attrs.items()
            if value is not False
        )
    )


class FastInputMixin:
    """An ``<input>`` rendered in Python: the markup of ``django/forms/widgets/input.html``.

    Django renders each input through three templates (the widget's, ``input.html``,
    ``attrs.html``); on a page of ~50 fields (the budget step) that is most of the server time.
    ``get_context`` is kept, so attributes (``checked``, the ``aria-*`` added by the bound field,
    localized values) are exactly Django's; only the template is replaced.
    """

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        value_part = "" if widget["value"] is None else format_html(' value="{}"', widget["value"])
        return format_html(
            '<input type="{}" name="{}"{}{}>',
            widget["type"],
            widget["name"],
            value_part,
            template_attrs(widget["attrs"]),
        )


class FastTextInput(FastInputMixin, forms.TextInput):
    """``TextInput`` rendered in Python (see ``FastInputMixin``)."""


class FastCheckboxInput(FastInputMixin, forms.CheckboxInput):
    """``CheckboxInput`` rendered in Python (see ``FastInputMixin``)."""


def dsfr_field_group(bf) -> str:
    """One bound field as django-dsfr's field group, built in Python.

    The markup of ``dsfr/form_field_snippets/input_snippet.html`` (inputs and selects) and
    ``checkbox_snippet.html``: visible label, required marker, hint, the widget (with the
    ``aria-invalid`` / ``aria-describedby`` dsfr adds when the field has errors) and the error
    list below it. For pages with many small forms (the budget lines), where one template per
    field costs more than the rest of the page; ``as_field_group`` stays the default elsewhere.
    """
    errors = bf.errors  # first: validates a bound form, so that dsfr_input_class_attr sees its errors
    dsfr_input_class_attr(bf)
    widget = bf.field.widget
    error_html = format_html('<div id="{}-desc-error">{}</div>', bf.auto_id, errors) if errors else ""
    disabled = " fr-input-group--disabled" if bf.field.disabled else ""
    checkbox = getattr(widget, "input_type", None) == "checkbox"
    hint_id = bf.auto_id if checkbox else bf.id_for_label
    hint = (
        format_html(' <span class="fr-hint-text" id="{}_helptext">{}</span>', hint_id, bf.help_text)
        if bf.help_text
        else ""
    )
    label = format_html(
        '<label for="{}" class="fr-label">{}{}{}</label>',
        bf.id_for_label,
        bf.label,
        dsfr_mark_optionnal_fields(bf),
        hint,
    )
    if checkbox:
        return format_html(
            '<div class="fr-checkbox-group{}{} fr-mb-2w">{}{}{}</div>',
            " fr-checkbox-group--error" if errors else "",
            disabled,
            bf.as_widget(),
            label,
            error_html,
        )
    group = getattr(widget, "group_class", None) or "fr-input-group"
    return format_html(
        '<div class="{}{}{}">{}{}{}</div>',
        group,
        f" {group}--error" if errors else "",
        disabled,
        label,
        bf.as_widget(),
        error_html,
    )


class FastHiddenInput(FastInputMixin, forms.HiddenInput):
    """``HiddenInput`` rendered in Python (see ``FastInputMixin``)."""


class FastNumberInput(FastInputMixin, forms.NumberInput):
    """``NumberInput`` rendered in Python (see ``FastInputMixin``)."""


class FastTextarea(forms.Textarea):
    """``Textarea`` rendered in Python: the markup of ``django/forms/widgets/textarea.html``, with
    Django's ``get_context`` attributes (see ``FastInputMixin``)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        return format_html(
            '<textarea name="{}"{}>\n{}</textarea>',
            widget["name"],
            template_attrs(widget["attrs"]),
            widget["value"] or "",
        )
