"""circulation.forms.parts renders a field, a group of choices and a form's errors in Python:
the output must be exactly what the templates circulation/_field.html, _choices.html and
_form_errors.html give, for every field of the portal's forms. (The rest of the suite checks
every one it renders the same way, through tests/form_rendering.py.)"""

from __future__ import annotations

import pytest
from django import forms
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from circulation.forms import parts as form_parts
from circulation.forms.member import QuestionForm, ReplyForm
from circulation.forms.parts import (
    CHOICES_TEMPLATE,
    FIELD_TEMPLATE,
    FORM_ERRORS_TEMPLATE,
    FormParts,
)
from tests.form_rendering import CheckingFormParts, RenderedDifferently
from tests.foundation.test_form_renderer import _forms

OURS = FormParts()


def _both_ways(form: forms.BaseForm, label: object) -> list[tuple[str, str]]:
    """(Python, template) for the form's errors and each field as a field and as choices."""
    pairs = [(OURS.form_errors(form), render_to_string(FORM_ERRORS_TEMPLATE, {"form": form}))]
    for bound in form:
        pairs.append(
            (OURS.field(bound, label),
             render_to_string(FIELD_TEMPLATE, {"field": bound, "label": label}))
        )  # fmt: skip
        if bound.subwidgets and isinstance(bound.field.widget, forms.RadioSelect):
            pairs.append(
                (OURS.choices(bound, label),
                 render_to_string(CHOICES_TEMPLATE, {"field": bound, "legend": label}))
            )  # fmt: skip
    return pairs


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("label", ["", "別の<見出し>", mark_safe("<b>安全</b>")])
def test_the_portals_forms_render_as_with_the_templates(council, language, label):
    with translation.override(language):
        made = _forms(council)
        made.append(_form_with_errors_of_its_own())
        pairs = [pair for form in made for pair in _both_ways(form, label)]
    for ours, template in pairs:
        assert ours == template
    assert len(pairs) > 60


def _form_with_errors_of_its_own() -> ReplyForm:
    form = ReplyForm({"kind": "opinion", "opinion": "", "meeting_needed": "yes",
                      "base_version": "1"})  # fmt: skip
    form.is_valid()
    form.add_field_error(None, "回答は<別の画面>で変更されています。")
    form.add_field_error("opinion", "「意見あり」の場合は意見を入力してください。")
    return form


def test_the_test_suite_compares_every_part_rendered_in_python():
    assert isinstance(form_parts.parts, CheckingFormParts)


def test_the_comparison_catches_a_difference(monkeypatch):
    monkeypatch.setattr(FormParts, "field", lambda self, field, label="": mark_safe("<div>"))
    with pytest.raises(RenderedDifferently):
        form_parts.parts.field(QuestionForm()["text"])
