"""Sessions (会議) by their own id (included by circulation/urls/__init__.py, under /c/)."""

from django.urls import path

from circulation.views import session_links, sessions

urlpatterns = [
    path("councils/<int:committee_id>/sessions/", sessions.session_list, name="session_list"),
    path(
        "councils/<int:committee_id>/sessions/new/",
        sessions.session_schedule,
        name="session_schedule",
    ),
    path("sessions/<int:meeting_id>/", sessions.session_detail, name="session_detail"),
    path("sessions/<int:meeting_id>/answer/", sessions.session_answer, name="session_answer"),
    path("sessions/<int:meeting_id>/agenda/", sessions.session_agenda, name="session_agenda"),
    path(
        "sessions/<int:meeting_id>/materials/",
        sessions.session_material_add,
        name="session_material_add",
    ),
    path(
        "sessions/<int:meeting_id>/materials/<int:material_id>/",
        sessions.session_material_download,
        name="session_material_download",
    ),
    path("sessions/<int:meeting_id>/attendance/", sessions.session_record, name="session_record"),
    path("sessions/<int:meeting_id>/election/", sessions.session_election, name="session_election"),
    path("sessions/<int:meeting_id>/change/", sessions.session_change, name="session_change"),
    path("sessions/<int:meeting_id>/cancel/", sessions.session_cancel, name="session_cancel"),
    path("sessions/<int:meeting_id>/session.ics", sessions.session_ics, name="session_ics"),
    path("a/<str:token>/", session_links.attendance_link, name="attendance_link"),
]
