"""`{% field_part %}`, `{% choices_part %}` and `{% form_errors_part %}`: the templates
circulation/_field.html, _choices.html and _form_errors.html, rendered in Python
(circulation/forms/parts.py says why, and how the two are kept the same)."""

from __future__ import annotations

from django import template
from django.forms import BaseForm, BoundField
from django.utils.safestring import SafeString

from circulation.forms import parts as form_parts

register = template.Library()


@register.simple_tag
def field_part(field: BoundField, label: object = "") -> SafeString:
    """As `{% include "circulation/_field.html" with field=… label=… %}`."""
    return form_parts.parts.field(field, label)


@register.simple_tag
def choices_part(field: BoundField, legend: object = "") -> SafeString:
    """As `{% include "circulation/_choices.html" with field=… legend=… %}`."""
    return form_parts.parts.choices(field, legend)


@register.simple_tag
def form_errors_part(form: BaseForm) -> SafeString:
    """As `{% include "circulation/_form_errors.html" with form=… %}`."""
    return form_parts.parts.form_errors(form)
