"""Form widgets rendered in Python: the same HTML, byte for byte, as Django's widget templates.

Django renders every input through two or three nested templates (input_option.html →
input.html → attrs.html). On the member's circulation page the reply form's four radio
buttons, two text areas and a hidden input cost about 3 ms of the page's rendering that way,
and well under 0.5 ms here. Only the simple, stable templates are done in Python (an
<input> of any type, a radio or checkbox option, a <textarea>); everything else (selects,
whole forms, fields, multi-widgets) goes through the templates as before.

`tests/foundation/test_form_renderer.py` renders every one of them both ways — the forms of
the portal, in Japanese and English, bound, unbound and with errors, and awkward values —
and requires the same output, so an upgrade of Django that changes a template fails there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe

Widget = Mapping[str, Any]


def _shown(value: Any) -> str:
    """`{{ value }}`: localised, then escaped unless already safe."""
    return conditional_escape(localize(value))


def _formatted(value: Any) -> str:
    """`{{ value|stringformat:'s' }}` (a safe value stays safe, as the filter is is_safe)."""
    text = str(value)
    return conditional_escape(mark_safe(text) if isinstance(value, SafeData) else text)  # noqa: S308


def _attrs(attrs: Mapping[str, Any]) -> str:
    """django/forms/widgets/attrs.html"""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(
            f" {_shown(name)}" if value is True else f' {_shown(name)}="{_formatted(value)}"'
        )
    return "".join(parts)


def _input(widget: Widget) -> str:
    """django/forms/widgets/input.html (and text.html, hidden.html, … which include it)"""
    value = widget.get("value")
    shown_value = "" if value is None else f' value="{_formatted(value)}"'
    return (
        f'<input type="{_shown(widget.get("type", ""))}" name="{_shown(widget.get("name", ""))}"'
        f"{shown_value}{_attrs(widget.get('attrs', {}))}>"
    )


def _input_option(widget: Widget) -> str:
    """django/forms/widgets/input_option.html (radio_option.html, checkbox_option.html)"""
    if not widget.get("wrap_label"):
        return _input(widget)
    attrs = widget.get("attrs", {})
    label_for = f' for="{_shown(attrs["id"])}"' if attrs.get("id") else ""
    # input.html's closing newline stays inside the label, as the include leaves it there.
    return f"<label{label_for}>{_input(widget)}\n {_shown(widget.get('label', ''))}</label>"


def _textarea(widget: Widget) -> str:
    """django/forms/widgets/textarea.html"""
    value = widget.get("value")
    shown_value = _shown(value) if value else ""
    return (
        f'<textarea name="{_shown(widget.get("name", ""))}"{_attrs(widget.get("attrs", {}))}>\n'
        f"{shown_value}</textarea>"
    )


_INPUT_TEMPLATES = (
    "input", "text", "number", "email", "url", "password", "hidden", "date", "datetime",
    "time", "checkbox", "color", "search", "tel", "file",
)  # fmt: skip
IN_PYTHON: dict[str, Callable[[Widget], str]] = {
    **{f"django/forms/widgets/{name}.html": _input for name in _INPUT_TEMPLATES},
    "django/forms/widgets/input_option.html": _input_option,
    "django/forms/widgets/radio_option.html": _input_option,
    "django/forms/widgets/checkbox_option.html": _input_option,
    "django/forms/widgets/textarea.html": _textarea,
}


class FormRenderer(DjangoTemplates):
    """Django's default renderer, with the templates above done in Python (FORM_RENDERER)."""

    def render(
        self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None
    ) -> str:
        in_python = IN_PYTHON.get(template_name)
        if in_python is not None and "widget" in context:
            # Nothing to strip (the templates' closing newline is what the renderer strips).
            return in_python(context["widget"])
        return super().render(template_name, context, request=request)
