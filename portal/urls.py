import os

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from circulation.views.home import home
from portal import account_views
from portal.auditlog import views as auditlog_views
from portal.health import views as health_views

admin.autodiscover()
# The admin logs in through allauth: rate limits and MFA apply there too.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", home, name="home"),  # the circulations of the logged-in person
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("invitation/<str:token>/", account_views.invitation_accept, name="invitation_accept"),
    path("accounts/", include("allauth.urls")),
    path("committees/", include("portal.committee_urls")),
    path("committees/<int:committee_id>/retention/", include("portal.retention.urls")),
    path("c/", include("circulation.urls")),
    path("records/", include("circulation.urls.public")),  # public records: no login
    path("audit/", include("portal.auditlog.urls")),
    path("privacy/", auditlog_views.privacy_notice, name="privacy_notice"),
    path("admin/", admin.site.urls),
    path("ops/", include("portal.ops.urls")),  # site staff: status page and metrics
    # Probes: no login, JSON, nothing but the checks' names and ok/fail (docs/operations.md).
    path("healthz", health_views.healthz, name="healthz"),
    path("readyz", health_views.readyz, name="readyz"),
]

if settings.DEBUG or settings.DEMO:
    urlpatterns += [path("demo/", include("portal.demo_urls"))]

# The database out of reach: 503 with what was typed (portal/error_pages.py).
handler500 = "portal.error_pages.server_error"


def bench_floor_patterns() -> list:
    """The web benchmark's floor (bench/floor.py), only in a server the benchmark started
    with KAIRAN_BENCH_FLOOR=1; never otherwise."""
    if os.environ.get("KAIRAN_BENCH_FLOOR") != "1":
        return []
    from bench.floor import urlpatterns as floor_patterns

    return floor_patterns


urlpatterns += bench_floor_patterns()
