from django.urls import path

from . import views

urlpatterns = [
    path("", views.retention_page, name="retention_page"),
    path("transfer.zip", views.retention_export, name="retention_export"),
    path("dispose/", views.retention_dispose, name="retention_dispose"),
]
