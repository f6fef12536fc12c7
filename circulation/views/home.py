"""The home page (/): what the person has to do next (やること) across their councils, most
urgent first; then the meetings they are invited to, their other circulations and, for the
secretariat and the implementing body, each council's counts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from circulation.reads.consultations import staff_consultations
from circulation.reads.listings import home_for, receipts_of
from circulation.reads.meetings import upcoming_meetings
from circulation.reads.todo import todo_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "todo": todo_for(request.user),
        "home": home_for(request.user),
        "meetings": upcoming_meetings(request.user),
        # Consultations (諮問) answered for as the implementing body (votes awaited are
        # in the to-do list).
        "staff_consultations": staff_consultations(request.user),
    }
    return render(request, "circulation/member/home.html", context)


# Rows per page of my_circulations.
MINE_PAGE_SIZE = 50


@login_required
def my_circulations(request: HttpRequest) -> HttpResponse:
    """Every circulation sent to the person, newest first, a page at a time (the home page
    shows the newest only)."""
    mine = receipts_of(request.user)
    page = Paginator(mine.awaiting + mine.others, MINE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "circulation/member/mine.html", {"page": page})
