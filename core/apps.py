from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The bottom layer: money, phone numbers, masking, the domain error type, list helpers.

    It imports nothing from the project's other apps; every app may import it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "core"
