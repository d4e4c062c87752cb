"""Issue the invoices of top-ups paid before invoicing began, and the credit notes of their
refunds. Idempotent: run it once after upgrading (compose's migrate step runs it every time;
it issues nothing when nothing is missing)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from payments.services.invoicing import invoices_backfill


class Command(BaseCommand):
    help = "Issue missing invoices of paid top-ups and credit notes of their refunds."

    def handle(self, *args, **options):
        done = invoices_backfill()
        self.stdout.write(
            f"invoices issued: {done.invoices}; credit notes issued: {done.credit_notes}"
        )
