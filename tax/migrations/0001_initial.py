# VIES checks move here from resellers: the table `resellers_vatcheck` and its rows stay where
# they are; only Django's idea of which app owns the model changes.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("resellers", "0004_branding_hostname_advertising"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="VatCheck",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("vat_id", models.CharField(max_length=20, verbose_name="VAT ID")),
                        ("status", models.CharField(choices=[("pending", "Pending"), ("valid", "Valid"), ("invalid", "Invalid"), ("unavailable", "Unavailable")], default="pending", max_length=16, verbose_name="status")),
                        ("name", models.CharField(blank=True, max_length=300, verbose_name="name (VIES)")),
                        ("address", models.TextField(blank=True, verbose_name="address (VIES)")),
                        ("consultation_number", models.CharField(blank=True, max_length=64, verbose_name="consultation number")),
                        ("error", models.CharField(blank=True, max_length=200, verbose_name="last error")),
                        ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="attempts")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="requested")),
                        ("checked_at", models.DateTimeField(blank=True, null=True, verbose_name="checked")),
                        ("reseller", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="vat_checks", to="resellers.reseller", verbose_name="reseller")),
                    ],
                    options={
                        "verbose_name": "VIES check",
                        "verbose_name_plural": "VIES checks",
                        "db_table": "resellers_vatcheck",
                        "ordering": ["-created_at", "-id"],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
