"""A small URL configuration for testing the matrix walker itself (not served)."""

from django.http import HttpResponse
from django.urls import include, path, re_path


def page(request, **kwargs):
    return HttpResponse("ok")


inner = (
    [
        path("", page, name="inner_index"),
        path("materials/<int:material_id>/", page, name="material"),
        re_path(r"^answers/(?P<answer_id>[0-9]+)/$", page, name="answer"),
    ],
    "inner",
)

urlpatterns = [
    path("", page, name="top"),
    path("committees/<int:committee_id>/c/<int:circulation_id>/", include(inner)),
    path("plain/", page),  # no name: the matrix must notice it
    path("admin/", page, name="admin_page"),
    path("accounts/login/", page, name="login"),
    path("demo/mail/", page, name="demo_mail"),
    re_path(r"^static/(?P<path>.*)$", page, name="static_file"),
]
