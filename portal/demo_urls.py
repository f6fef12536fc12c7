"""Pages that only exist in the demo (DEBUG or KAIRAN_DEMO): reading the mail it sent."""

urlpatterns = []
