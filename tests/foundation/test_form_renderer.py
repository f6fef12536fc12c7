"""portal.form_renderer renders inputs, radio and checkbox options and text areas in Python:
the output must be exactly what Django's widget templates give. (The rest of the suite checks
every form it renders the same way, through tests/form_rendering.py.)"""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from circulation.forms.drafts import DraftForm
from circulation.forms.member import QuestionForm, ReplyForm
from circulation.forms.secretariat import AnswerForm, ExtendDeadlineForm
from circulation.views.decision import DecisionForm
from circulation.views.links import LinkReplyForm
from portal.auditlog.forms import LogReviewForm
from portal.form_renderer import IN_PYTHON, FormRenderer
from portal.forms import InviteMemberForm
from tests.form_rendering import CheckingRenderer, RenderedDifferently

OURS, DJANGOS = FormRenderer(), DjangoTemplates()


def _both(template_name: str, widget: dict[str, Any]) -> tuple[str, str]:
    context = {"widget": widget}
    return OURS.render(template_name, context), DJANGOS.render(template_name, context)


AWKWARD_VALUES = [None, "", "0", 0, 10000, "a \"quoted\" <b>&amp;</b> 'value'", "日本語",
                  mark_safe("<b>safe</b>"), "\n先頭の改行", gettext_lazy("意見なし")]  # fmt: skip
AWKWARD_ATTRS = [
    {},
    {"id": "id_x", "required": True, "checked": True},
    {"id": "", "disabled": False, "maxlength": 10000, "rows": 8, "cols": 40},
    {"aria-describedby": "id_x-error id_x_helptext", "aria-invalid": "true", "data-n": None},
    {"placeholder": gettext_lazy("回答"), "class": '"quoted" <class>', "title": mark_safe("<i>")},
]


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("template_name", sorted(IN_PYTHON))
def test_awkward_values_and_attributes_render_as_djangos_templates_do(template_name, language):
    with translation.override(language):
        for value in AWKWARD_VALUES:
            for attrs in AWKWARD_ATTRS:
                for wrap_label in (False, True):
                    widget = {
                        "type": "radio",
                        "name": "kind",
                        "value": value,
                        "attrs": attrs,
                        "label": gettext_lazy("審議が必要"),
                        "wrap_label": wrap_label,
                    }
                    ours, djangos = _both(template_name, widget)
                    assert ours == djangos, (widget, ours, djangos)


def _every_widget_of(form: forms.BaseForm) -> list[str]:
    """Each field as `{{ field }}` shows it, and each choice as `choice.tag` and `{{ choice }}`."""
    shown = []
    for bound in form:
        shown.append(str(bound))
        for choice in bound.subwidgets:
            shown += [choice.tag(), str(choice)]
    return shown


def _forms(council: Any) -> list[forms.BaseForm]:
    committee = council.committee
    reply = {"kind": "opinion", "opinion": "<b>第3項</b>\n賛成", "meeting_needed": "no",
             "base_version": "2"}  # fmt: skip
    made: list[forms.BaseForm] = [
        ReplyForm.for_reply(None),
        ReplyForm(initial={**reply, "base_version": 2}),
        ReplyForm(reply),
        ReplyForm({"opinion": "途中まで", "base_version": "x"}),
        QuestionForm(),
        QuestionForm({"text": ""}),
        ExtendDeadlineForm(),
        ExtendDeadlineForm({"deadline_date": "2026-13-01", "reason": "<script>"}),
        AnswerForm({"text": ""}),
        LogReviewForm(),
        LogReviewForm({"result": "ok", "findings": "特になし"}),
        InviteMemberForm(),
        InviteMemberForm({"email": "not an address", "full_name": '田中 "一郎"'}),
        DecisionForm({"convene": "yes", "reason": ""}),
        LinkReplyForm({"kind": "no_opinion", "base_version": "0"}),
        DraftForm(committee=committee),
        DraftForm({"title": "", "recipients": [council.members[0].pk]}, committee=committee),
    ]
    for form in made:
        if form.is_bound:
            form.is_valid()  # errors, and aria-invalid on the fields that have them
    return made


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_portals_forms_render_as_with_djangos_templates(council, language, settings):
    with translation.override(language):
        settings.FORM_RENDERER = "portal.form_renderer.FormRenderer"
        ours = [_every_widget_of(form) for form in _forms(council)]
        settings.FORM_RENDERER = "django.forms.renderers.DjangoTemplates"
        djangos = [_every_widget_of(form) for form in _forms(council)]
    assert ours == djangos
    assert sum(len(widgets) for widgets in ours) > 80  # the forms did render something


def test_the_test_suite_compares_every_widget_rendered_in_python():
    assert isinstance(get_default_renderer(), CheckingRenderer)


def test_the_comparison_catches_a_difference(monkeypatch):
    monkeypatch.setitem(
        IN_PYTHON, "django/forms/widgets/textarea.html", lambda widget: "<textarea></textarea>"
    )
    with pytest.raises(RenderedDifferently):
        str(QuestionForm()["text"])


def test_production_uses_the_python_renderer():
    from portal import settings as production  # the module, not the tests' overrides

    assert production.FORM_RENDERER == "portal.form_renderer.FormRenderer"
