"""The home page (/): the person's circulations across committees, 未回答 first."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ..listings import home_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "circulation/member/home.html", {"home": home_for(request.user)})
