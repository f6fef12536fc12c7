"""The whole test suite renders forms through CheckingRenderer (tests/conftest.py): every
widget that portal.form_renderer renders in Python is also rendered through Django's own
template, and any difference fails the test that rendered it."""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest

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
