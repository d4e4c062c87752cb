# AuditEvent moved to the audit app and VatCheck to the tax app (audit 0001, tax 0001): their
# tables and rows stay; here resellers lets go of the models and points its current VIES check
# at tax.VatCheck. Nothing changes in the database.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("resellers", "0004_branding_hostname_advertising"),
        ("audit", "0001_initial"),
        ("tax", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="reseller",
                    name="vat_check",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="tax.vatcheck", verbose_name="current VIES check"),
                ),
                migrations.DeleteModel(name="AuditEvent"),
                migrations.DeleteModel(name="VatCheck"),
            ],
            database_operations=[],
        ),
    ]
