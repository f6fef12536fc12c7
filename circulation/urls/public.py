"""The public records (公開記録) under /records/: no login."""

from django.urls import path

from circulation.views import public_records as views

urlpatterns = [
    path("", views.public_index, name="public_index"),
    path("<int:committee_id>/", views.public_council, name="public_council"),
    path("<int:committee_id>/feed.atom", views.public_feed, name="public_feed"),
    path("<int:committee_id>/<int:minutes_id>/", views.public_record, name="public_record"),
]
