from django.apps import AppConfig


class RetentionConfig(AppConfig):
    # An app of its own, so that its migrations never collide with the portal's.
    name = "portal.retention"
    label = "retention"
    default_auto_field = "django.db.models.BigAutoField"
