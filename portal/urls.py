from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from circulation.views.home import home

admin.autodiscover()
# The admin logs in through allauth: rate limits and MFA apply there too.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", home, name="home"),  # the circulations of the logged-in person
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("allauth.urls")),
    path("committees/", include("portal.committee_urls")),
    path("c/", include("circulation.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG or settings.DEMO:
    urlpatterns += [path("demo/", include("portal.demo_urls"))]
