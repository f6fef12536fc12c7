"""Pages of a circulation's meeting (会議) and its minutes (included by circulation/urls.py).
One meeting per circulation, so the circulation's id names it."""

from django.urls import path

from circulation.views import meetings

urlpatterns = [
    path("<int:circulation_id>/meeting/", meetings.meeting_detail, name="meeting_detail"),
    path(
        "<int:circulation_id>/meeting/schedule/",
        meetings.meeting_schedule,
        name="meeting_schedule",
    ),
    path("<int:circulation_id>/meeting/change/", meetings.meeting_change, name="meeting_change"),
    path("<int:circulation_id>/meeting/cancel/", meetings.meeting_cancel, name="meeting_cancel"),
    path("<int:circulation_id>/meeting/meeting.ics", meetings.meeting_ics, name="meeting_ics"),
    path(
        "<int:circulation_id>/meeting/minutes/",
        meetings.minutes_upload,
        name="meeting_minutes_upload",
    ),
    path(
        "<int:circulation_id>/meeting/minutes/publish/",
        meetings.minutes_publish,
        name="meeting_minutes_publish",
    ),
    path(
        "<int:circulation_id>/meeting/minutes/<int:minutes_id>/download/",
        meetings.minutes_download,
        name="meeting_minutes_download",
    ),
]
