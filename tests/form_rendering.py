"""The whole test suite renders forms through CheckingRenderer (tests/conftest.py): every
widget that portal.form_renderer renders in Python is also rendered through Django's own
template, and any difference fails the test that rendered it. Likewise CheckingFormParts for
the fields, choices and form errors that circulation.forms.parts renders in Python."""

from __future__ import annotations

from typing import Any

from django.forms import BaseForm, BoundField
from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from circulation.forms.parts import (
    CHOICES_TEMPLATE,
    FIELD_TEMPLATE,
    FORM_ERRORS_TEMPLATE,
    FormParts,
)
from portal.form_renderer import IN_PYTHON, FormRenderer


class RenderedDifferently(AssertionError):
    pass


class CheckingRenderer(FormRenderer):
    checked: set[str] = set()  # template names compared so far (test_form_renderer.py)

    def render(
        self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None
    ) -> str:
        ours = super().render(template_name, context, request=request)
        if template_name in IN_PYTHON and "widget" in context:
            djangos = DjangoTemplates.render(self, template_name, context, request=request)
            if ours != djangos:
                raise RenderedDifferently(
                    f"{template_name}:\n  Python:   {ours!r}\n  template: {djangos!r}"
                )
            CheckingRenderer.checked.add(template_name)
        return ours


class CheckingFormParts(FormParts):
    """circulation.forms.parts, also rendered through its template; any difference fails.
    Installed for every test by tests/conftest.py."""

    checked: set[str] = set()  # template names compared so far (test_form_parts.py)

    def field(self, field: BoundField, label: object = "") -> SafeString:
        return self._compare(FIELD_TEMPLATE, super().field(field, label),
                             {"field": field, "label": label})  # fmt: skip

    def choices(self, field: BoundField, legend: object = "") -> SafeString:
        return self._compare(CHOICES_TEMPLATE, super().choices(field, legend),
                             {"field": field, "legend": legend})  # fmt: skip

    def form_errors(self, form: BaseForm) -> SafeString:
        return self._compare(FORM_ERRORS_TEMPLATE, super().form_errors(form), {"form": form})

    def _compare(self, template_name: str, ours: SafeString, context: dict[str, Any]) -> SafeString:
        template = render_to_string(template_name, context)
        if ours != template:
            raise RenderedDifferently(
                f"{template_name}:\n  Python:   {ours!r}\n  template: {template!r}"
            )
        CheckingFormParts.checked.add(template_name)
        return ours
