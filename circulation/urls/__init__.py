"""Circulation pages (under /c/): the circulation itself, the chair's decision and the
decision record, the meeting, and consultations (諮問)."""

from django.urls import include, path

urlpatterns = [
    path("", include("circulation.urls.circulations")),
    path("", include("circulation.urls.decisions")),
    path("", include("circulation.urls.meetings")),
    path("", include("circulation.urls.consultations")),
    path("", include("circulation.urls.records")),
    path("", include("circulation.urls.sessions")),
]
