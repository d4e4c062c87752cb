from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The top layer: settings, URLs, the Celery app, pages that compose every domain, and the
    demo data (`manage.py demo_data`), which seeds through every app's services."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "config"
    verbose_name = "Tessera"
