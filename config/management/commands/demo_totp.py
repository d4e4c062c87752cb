"""Print the current two-factor code of the demo operator (DEBUG only)."""

import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.management.commands.demo_data import DEMO_TOTP_SECRET, OPERATOR_EMAIL


class Command(BaseCommand):
    help = "Print the demo operator's current TOTP code (only with DEBUG on)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo_totp only runs with DEBUG on.")
        counter = int(time.time()) // 30
        code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter))
        self.stdout.write(f"{OPERATOR_EMAIL}: {code} (valid for {30 - int(time.time()) % 30} s)")
