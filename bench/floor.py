"""The floor of the web benchmark: what any page of Kairan costs at the least.

A view behind the same middleware as every page (session, login, CSRF, locale, audit, MFA)
that runs one indexed query and renders a one-line template through the same template engine
(and context processors). Its URL exists only when the server runs with KAIRAN_BENCH_FLOOR=1
(portal/urls.py), which only the benchmark sets.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import URLPattern, path

from circulation.models import Recipient

_TEMPLATE = engines["django"].from_string(
    "<p>{{ user.full_name }}: {% if receipt %}{{ receipt }}{% else %}-{% endif %}</p>\n"
)


@login_required
def floor(request: HttpRequest, circulation_id: int) -> HttpResponse:
    # One query on the unique (circulation, user) index, like a page's own first look-up.
    found = (
        Recipient.objects.filter(circulation_id=circulation_id, user=request.user)
        .order_by()
        .values_list("pk", flat=True)[:1]
    )
    receipt = next(iter(found), None)
    return HttpResponse(_TEMPLATE.render({"receipt": receipt}, request))


urlpatterns: list[URLPattern] = [
    path("bench/floor/<int:circulation_id>/", floor, name="bench_floor"),
]
