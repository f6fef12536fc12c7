from django.urls import path

from . import views

urlpatterns = [
    path("status/", views.status_page, name="ops_status"),
    path("metrics", views.metrics, name="ops_metrics"),
]
