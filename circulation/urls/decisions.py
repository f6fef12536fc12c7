"""Pages of the chair's decision and the decision record (included by circulation/urls.py)."""

from django.urls import path

from circulation.views import decision, record

urlpatterns = [
    path("<int:circulation_id>/decision/", decision.decision_page, name="circulation_decision"),
    path("<int:circulation_id>/decision/archive/", decision.archive, name="circulation_archive"),
    path(
        "<int:circulation_id>/decision/chair-absence/",
        decision.chair_absence,
        name="circulation_chair_absence",
    ),
    path("<int:circulation_id>/record/", record.decision_record, name="decision_record"),
    path("<int:circulation_id>/record.csv", record.decision_record_csv, name="decision_record_csv"),
]
