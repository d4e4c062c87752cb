from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from sms import checks  # noqa: F401 - registers the SMS settings' system checks


class SmsConfig(AppConfig):
    name = "sms"
    verbose_name = _("SMS")
