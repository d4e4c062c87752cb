from django.core.management.base import BaseCommand, CommandError

from ledger.verify import ledger_verify


class Command(BaseCommand):
    help = "Check every invariant of the ledger; exit non-zero with the violations if any."

    def handle(self, *args, **options):
        report = ledger_verify()
        counts = ", ".join(f"{n:,} {label}" for label, n in report.counts.items())
        self.stdout.write(f"ledger_verify: checked {counts} in {report.seconds:.2f} s")
        for rule in report.checked:
            found = report.violations.get(rule, [])
            mark = self.style.SUCCESS("ok  ") if not found else self.style.ERROR("FAIL")
            self.stdout.write(f"  {mark} {rule}")
            for row in found:
                self.stdout.write(f"         {row}")
        if not report.clean:
            raise CommandError("the ledger has violations (listed above)")
        self.stdout.write(self.style.SUCCESS("ledger is clean"))
