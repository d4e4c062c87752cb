# The audit log moves here from resellers: the table `resellers_auditevent` and its rows stay
# where they are; only Django's idea of which app owns the model changes.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("resellers", "0004_branding_hostname_advertising"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="time")),
                        ("action", models.CharField(db_index=True, max_length=64, verbose_name="action")),
                        ("object_type", models.CharField(blank=True, max_length=64, verbose_name="object type")),
                        ("object_id", models.CharField(blank=True, max_length=64, verbose_name="object id")),
                        ("data", models.JSONField(blank=True, default=dict, verbose_name="data")),
                        ("actor", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="actor")),
                        ("reseller", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="audit_events", to="resellers.reseller", verbose_name="reseller")),
                    ],
                    options={
                        "verbose_name": "audit event",
                        "verbose_name_plural": "audit events",
                        "db_table": "resellers_auditevent",
                        "ordering": ["-at", "-id"],
                        "indexes": [
                            models.Index(fields=["reseller", "-at"], name="resellers_a_reselle_e4ee5f_idx"),
                            models.Index(fields=["object_type", "object_id"], name="resellers_a_object__d4e430_idx"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
