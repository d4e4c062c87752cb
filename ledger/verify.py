"""Checks every invariant of the ledger with set-based SQL, one query per rule.

Rules: every transaction has two entries or more and sums to zero; every entry is in its
transaction's currency; every cached balance equals the sum of its account's entries; every
`balance_after` equals the running sum of its account's entries in id order; no balance is
past its lower limit; every entry's keyed digest still matches (nothing was edited). On
PostgreSQL the digests are recomputed in SQL; on SQLite in one streamed pass in Python. The
statements are in ledger.sql.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection

from core.money import LEDGER_PLACES
from ledger.services import digest_text, entry_digest
from ledger.sql import COUNTS, DIGEST_ROWS, DIGEST_RULE, PG_DIGESTS, RULES

LIMIT = 50  # violations listed per rule


@dataclass
class Report:
    counts: dict[str, int] = field(default_factory=dict)
    violations: dict[str, list[tuple]] = field(default_factory=dict)
    checked: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return not any(self.violations.values())


def _digest_violations_in_python(cursor) -> list[tuple]:
    cursor.execute(DIGEST_ROWS)
    bad = []
    for row in cursor:
        entry_id, txn_id, kind, currency, account_id, amount, after, digest = row
        text = digest_text(
            transaction_id=txn_id,
            kind=kind,
            currency=currency,
            account_id=account_id,
            amount=Decimal(str(amount)).quantize(LEDGER_PLACES),
            balance_after=Decimal(str(after)).quantize(LEDGER_PLACES),
        )
        if entry_digest(text) != digest:
            bad.append((entry_id, txn_id))
            if len(bad) >= LIMIT:
                break
    return bad


def ledger_verify() -> Report:
    report = Report()
    start = time.perf_counter()
    with connection.cursor() as cursor:
        for label, sql in COUNTS:
            cursor.execute(sql)
            report.counts[label] = cursor.fetchone()[0]
        for name, sql in RULES:
            cursor.execute(f"{sql} LIMIT {LIMIT}")
            report.violations[name] = [tuple(row) for row in cursor.fetchall()]
            report.checked.append(name)
        if connection.vendor == "postgresql":
            cursor.execute(f"{PG_DIGESTS} LIMIT {LIMIT}", [settings.LEDGER_DIGEST_KEY])
            report.violations[DIGEST_RULE] = [tuple(row) for row in cursor.fetchall()]
        else:
            report.violations[DIGEST_RULE] = _digest_violations_in_python(cursor)
        report.checked.append(DIGEST_RULE)
    report.seconds = time.perf_counter() - start
    return report
