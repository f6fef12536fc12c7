"""Circulation pages."""

from django.urls import include, path

from .views import member

urlpatterns = [
    path("<int:circulation_id>/", member.circulation_detail, name="circulation_detail"),
    path("", include("circulation.decision_urls")),
]
