"""/audit/…: the secretariat's audit log (操作記録) and its periodic review (ログ確認)."""

from django.urls import path

from portal.auditlog import views

urlpatterns = [
    path("", views.audit_log, name="audit_log"),
    path("export.csv", views.audit_log_export, name="audit_log_export"),
    path(
        "committees/<int:committee_id>/reviews/",
        views.log_reviews,
        name="audit_log_reviews",
    ),
]
