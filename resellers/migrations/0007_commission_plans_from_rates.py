# Every reseller gets a first commission plan: its current commission rate, in force from the
# day it was created (in settings.TIME_ZONE), so its sales so far keep the rate they were made at.

from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations


def plans_from_rates(apps, schema_editor):
    Reseller = apps.get_model("resellers", "Reseller")
    CommissionPlan = apps.get_model("resellers", "CommissionPlan")
    zone = ZoneInfo(settings.TIME_ZONE)
    have_plans = set(CommissionPlan.objects.values_list("reseller_id", flat=True))
    plans = [
        CommissionPlan(
            reseller_id=pk,
            effective_from=created_at.astimezone(zone).date(),
            rate=rate,
            source="staff",
            note="The commission rate before commission plans",
        )
        for pk, created_at, rate in Reseller.objects.values_list(
            "pk", "created_at", "commission_rate"
        ).iterator()
        if pk not in have_plans
    ]
    CommissionPlan.objects.bulk_create(plans, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("resellers", "0006_commission_plans")]

    operations = [migrations.RunPython(plans_from_rates, migrations.RunPython.noop)]
