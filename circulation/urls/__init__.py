"""Circulation pages (under /c/): the circulation itself, the chair's decision and the
decision record, and the meeting."""

from django.urls import include, path

urlpatterns = [
    path("", include("circulation.urls.circulations")),
    path("", include("circulation.urls.decisions")),
    path("", include("circulation.urls.meetings")),
]
