"""Committee, membership and audit pages (the secretariat's side of the foundation)."""

from django.urls import path

from . import views

urlpatterns = [
    path("<int:committee_id>/", views.committee_detail, name="committee_detail"),
]
