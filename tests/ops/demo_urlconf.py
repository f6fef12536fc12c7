"""The portal's URLs with the demo pages, as `make demo` serves them (portal/urls.py adds
them only when DEBUG or KAIRAN_DEMO is set at start-up, which tests do not)."""

from django.urls import include, path

from portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [*portal_urlpatterns, path("demo/", include("portal.demo_urls"))]
