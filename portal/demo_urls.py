"""Pages that only exist in the demo (DEBUG or KAIRAN_DEMO): its logins, and reading the mail
it sent."""

from django.urls import path

from portal import demo_views

urlpatterns = [
    path("", demo_views.logins, name="demo_home"),
    path("mail/", demo_views.mail_list, name="demo_mail_list"),
    path("mail/<str:name>/", demo_views.mail_detail, name="demo_mail_detail"),
    path("mail/<str:name>/html/", demo_views.mail_html, name="demo_mail_html"),
]
