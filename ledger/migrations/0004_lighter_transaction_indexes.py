"""Fewer indexes for every posting to maintain: no b-tree on a transaction's kind, and on
PostgreSQL a BRIN index on created_at instead of a b-tree (rows arrive in time order)."""

from django.db import migrations, models

KINDS = [
    ("topup", "Top-up"),
    ("sale", "Sale"),
    ("commission", "Commission"),
    ("recharge", "Recharge"),
    ("transfer", "Transfer between resellers"),
    ("commission_transfer", "Commission transfer"),
    ("payout", "Payout"),
    ("payout_paid", "Payout paid"),
    ("approval_release", "Release on approval"),
    ("fee", "Fee"),
    ("usage", "Usage"),
    ("adjustment", "Adjustment"),
    ("reversal", "Reversal"),
]


def _brin(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("ledger", "0003_posting_function")]

    operations = [
        migrations.AlterField(
            model_name="ledgertransaction",
            name="created_at",
            field=models.DateTimeField(auto_now_add=True, verbose_name="created"),
        ),
        migrations.AlterField(
            model_name="ledgertransaction",
            name="kind",
            field=models.CharField(choices=KINDS, max_length=24, verbose_name="kind"),
        ),
        migrations.RunPython(
            _brin(
                "CREATE INDEX ledger_txn_created_brin ON ledger_ledgertransaction "
                "USING brin (created_at)"
            ),
            _brin("DROP INDEX IF EXISTS ledger_txn_created_brin"),
        ),
    ]
