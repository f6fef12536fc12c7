"""A form field with its label, help text and errors, a group of radio buttons or check boxes,
and a form's own errors, rendered in Python: byte for byte what the templates
`circulation/_field.html`, `_choices.html` and `_form_errors.html` give.

Why: the member's circulation page includes those templates five times (the reply form and
the question form); each include costs a template context, a loader look-up and a dozen
variable resolutions, about a fifth of the page's rendering. The templates stay, and every
other page still includes them; the page's two forms use the tags of
`circulation/templatetags/form_parts.py` instead.

The whole test suite renders these through a checking `FormParts` (tests/form_rendering.py)
that also renders the template and fails on any difference, and
tests/circulation/test_form_parts.py renders every field of the portal's forms both ways, in
Japanese and English, bound, unbound and with errors.
"""

from __future__ import annotations

from django.forms import BaseForm, BoundField
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

FIELD_TEMPLATE = "circulation/_field.html"
CHOICES_TEMPLATE = "circulation/_choices.html"
FORM_ERRORS_TEMPLATE = "circulation/_form_errors.html"


def _e(value: object) -> str:
    """`{{ value }}` of a string, a lazy string or safe HTML (no numbers or dates here)."""
    return conditional_escape(value)


def _required(field: BoundField) -> str:
    if not field.field.required:
        return ""
    return f' <span class="required">{_e(gettext("(必須)"))}</span>'


def _help_and_errors(field: BoundField) -> str:
    """The help text line and the error list line, as both templates have them."""
    auto_id = _e(field.auto_id)
    help_text = (
        f'<span class="helptext" id="{auto_id}_helptext">{_e(field.help_text)}</span>'
        if field.help_text
        else ""
    )
    errors = field.errors
    error_list = (
        f'<ul class="errorlist" id="{auto_id}-error">'
        + "".join(f"<li>{_e(error)}</li>" for error in errors)
        + "</ul>"
        if errors
        else ""
    )
    return f"  {help_text}\n  {error_list}\n"


class FormParts:
    """The three renderings. The template tags call `parts` below; the tests put a checking
    subclass in its place."""

    def field(self, field: BoundField, label: object = "") -> SafeString:
        """circulation/_field.html (`label` as its optional `label` variable)."""
        error_class = " field--error" if field.errors else ""
        return mark_safe(  # noqa: S308 (every value escaped above, as the template does)
            f'<div class="field{error_class}">\n'
            f'  <label for="{_e(field.id_for_label)}">{_e(label or field.label)}'
            f"{_required(field)}</label>\n"
            f"{_help_and_errors(field)}"
            f"  {field}\n"
            "</div>\n"
        )

    def choices(self, field: BoundField, legend: object = "") -> SafeString:
        """circulation/_choices.html (`legend` as its optional `legend` variable)."""
        described = ""
        error_class = ""
        if field.errors:
            error_class = " field--error"
            described = f' aria-describedby="{_e(field.auto_id)}-error"'
        options = "".join(
            f'<div class="choice">{choice.tag()}<label for="{_e(choice.id_for_label)}">'
            f"{_e(choice.choice_label)}</label></div>"
            for choice in field
        )
        return mark_safe(  # noqa: S308 (every value escaped above, as the template does)
            f'<fieldset class="choices{error_class}"{described}>\n'
            f"  <legend>{_e(legend or field.label)}{_required(field)}</legend>\n"
            f"{_help_and_errors(field)}"
            f"  {options}\n"
            "</fieldset>\n"
        )

    def form_errors(self, form: BaseForm) -> SafeString:
        """circulation/_form_errors.html"""
        errors = form.non_field_errors()
        if not errors:
            return mark_safe("\n")
        items = "".join(f"<li>{_e(error)}</li>" for error in errors)
        return mark_safe(f'<ul class="errorlist" role="alert">{items}</ul>\n')  # noqa: S308


parts = FormParts()
