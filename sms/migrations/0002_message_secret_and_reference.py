"""The credentials SMS keeps its password only until it is handed to the backend, and every
message gets a stable reference for the gateway (issue 11, points 4 and 7).

Rows written before: each gets a new reference; a credentials message ("customer_welcome")
already sent or failed has its text written again from its template with the mask in the
password's place (nothing is guessed from the old text), one still queued or sending keeps
its full text in `secret_body` until delivery, as new ones do.
"""

import uuid

from django.conf import settings
from django.db import migrations, models
from django.template.loader import render_to_string
from django.utils import translation

MASK = "********"  # sms.services.SECRET_MASK when this was written
DONE = ("sent", "failed")


def _masked_welcome(message) -> str:
    context = {
        "phone": message.recipient,
        "password": MASK,
        "portal_url": settings.PORTAL_ORIGIN.rstrip("/") + "/my/",
        "reseller_name": message.reseller.name,
    }
    with translation.override(message.language):
        text = render_to_string(f"sms/customer_welcome.{message.language}.txt", context)
    return " ".join(text.split())


def forwards(apps, schema_editor):
    Message = apps.get_model("sms", "Message")
    for message in Message.objects.select_related("reseller").order_by("pk").iterator():
        message.reference = uuid.uuid4()
        fields = ["reference"]
        if message.template == "customer_welcome":
            if message.status not in DONE:
                message.secret_body = message.body
            message.body = _masked_welcome(message)
            message.masked = True
            fields += ["secret_body", "body", "masked"]
        message.save(update_fields=fields)


class Migration(migrations.Migration):
    dependencies = [("sms", "0001_sms_outbox")]

    operations = [
        migrations.AddField(
            model_name="message",
            name="secret_body",
            field=models.TextField(blank=True, default="", verbose_name="text with the secret"),
        ),
        migrations.AddField(
            model_name="message",
            name="masked",
            field=models.BooleanField(default=False, verbose_name="secret masked"),
        ),
        migrations.AddField(
            model_name="message",
            name="reference",
            field=models.UUIDField(editable=False, null=True, verbose_name="reference"),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="message",
            name="reference",
            field=models.UUIDField(
                default=uuid.uuid4, editable=False, unique=True, verbose_name="reference"
            ),
        ),
    ]
