"""System checks of the SMS settings (`manage.py check`)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Warning, register


@register()
def sending_lease_check(app_configs=None, **kwargs) -> list[Warning]:
    """The "sending" lease must outlast a live send (up to two gateway calls), or a message
    still being sent is sent again (the gateway then drops it by its reference)."""
    longest = 2 * settings.SMS_HTTP_TIMEOUT
    if longest < settings.SMS_SENDING_LEASE_SECONDS:
        return []
    return [
        Warning(
            f"SMS_SENDING_LEASE_SECONDS ({settings.SMS_SENDING_LEASE_SECONDS}) is not longer "
            f"than a send can take (2 x SMS_HTTP_TIMEOUT = {longest:g} s).",
            hint="Raise SMS_SENDING_LEASE_SECONDS or lower SMS_HTTP_TIMEOUT.",
            id="sms.W001",
        )
    ]
