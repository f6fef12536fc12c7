"""Minutes written in Kairan (会議録) and the public records' management, under /c/."""

from django.urls import path

from circulation.views import minutes as views
from circulation.views import records_settings

urlpatterns = [
    path("council/<int:committee_id>/minutes/", views.council_minutes_list, name="council_minutes"),
    path("council/<int:committee_id>/minutes/settings/", records_settings.record_settings,
         name="record_settings"),
    path("council/<int:committee_id>/minutes/export.zip", records_settings.record_export,
         name="record_export"),
    path("council/<int:committee_id>/minutes/session/<int:meeting_id>/",
         views.minutes_start_session, name="minutes_start_session"),
    path("<int:circulation_id>/written-record/", views.minutes_start_written,
         name="minutes_start_written"),
    path("minutes/<int:minutes_id>/", views.minutes_detail, name="minutes_detail"),
    path("minutes/<int:minutes_id>/preview/", views.minutes_preview, name="minutes_preview"),
    path("minutes/<int:minutes_id>/edit/", views.minutes_edit, name="minutes_edit"),
    path("minutes/<int:minutes_id>/send/", views.minutes_send_check, name="minutes_send_check"),
    path("minutes/<int:minutes_id>/check/", views.minutes_check, name="minutes_check"),
    path("minutes/<int:minutes_id>/approve/", views.minutes_approve, name="minutes_approve"),
    path("minutes/<int:minutes_id>/publish/", views.minutes_publish, name="minutes_publish"),
    path("minutes/<int:minutes_id>/correct/", views.minutes_reasoned, {"step": "correct"},
         name="minutes_correct"),
    path("minutes/<int:minutes_id>/withdraw/", views.minutes_reasoned, {"step": "withdraw"},
         name="minutes_withdraw"),
    path("minutes/<int:minutes_id>/confirm/<int:publication_id>/", views.publication_confirm,
         name="publication_confirm"),
]  # fmt: skip
