"""Checks every invariant of the ledger with set-based SQL, one query per rule.

Rules: every transaction has two entries or more and sums to zero; every entry is in its
transaction's currency; every cached balance equals the sum of its account's entries; every
`balance_after` equals the running sum of its account's entries in id order; no balance is
past its lower limit; every entry's keyed digest still matches (nothing was edited). On
PostgreSQL the digests are recomputed in SQL; on SQLite in one streamed pass in Python.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection

from core.money import LEDGER_PLACES
from ledger.services import digest_text, entry_digest

E, A, T = "ledger_ledgerentry", "ledger_ledgeraccount", "ledger_ledgertransaction"
LIMIT = 50  # violations listed per rule

RULES: list[tuple[str, str]] = [
    (
        "transactions sum to zero per currency",
        f"""SELECT e.transaction_id, a.currency, SUM(e.amount)
              FROM {E} e JOIN {A} a ON a.id = e.account_id
             GROUP BY e.transaction_id, a.currency
            HAVING ABS(SUM(e.amount)) >= 0.00005""",
    ),
    (
        "transactions have at least two entries",
        f"""SELECT t.id, COUNT(e.id) FROM {T} t LEFT JOIN {E} e ON e.transaction_id = t.id
             GROUP BY t.id HAVING COUNT(e.id) < 2""",
    ),
    (
        # Also what a foreign key would say: the entries have none in the database (0005).
        "entries are on existing accounts, in their transaction's currency",
        f"""SELECT e.id, e.transaction_id, a.currency, t.currency
              FROM {E} e LEFT JOIN {A} a ON a.id = e.account_id
                         LEFT JOIN {T} t ON t.id = e.transaction_id
             WHERE a.id IS NULL OR t.id IS NULL OR a.currency <> t.currency""",
    ),
    (
        "cached balances equal the sum of entries",
        f"""SELECT a.id, a.balance, COALESCE(s.total, 0)
              FROM {A} a LEFT JOIN (SELECT account_id, SUM(amount) AS total FROM {E}
                                     GROUP BY account_id) s ON s.account_id = a.id
             WHERE ABS(a.balance - COALESCE(s.total, 0)) >= 0.00005""",
    ),
    (
        "balance_after chains are consistent",
        f"""SELECT id, account_id, balance_after, running FROM (
                SELECT id, account_id, balance_after,
                       SUM(amount) OVER (
                           PARTITION BY account_id ORDER BY id
                           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
                       ) AS running
                  FROM {E}) chain
             WHERE ABS(balance_after - running) >= 0.00005""",
    ),
    (
        "no balance is past its lower limit",
        f"""SELECT id, balance, lower_limit FROM {A}
             WHERE lower_limit IS NOT NULL AND balance < lower_limit""",
    ),
]

DIGEST_RULE = "entries are unedited (digests match)"
PG_DIGESTS = f"""
    SELECT e.id, e.transaction_id FROM {E} e JOIN {T} t ON t.id = e.transaction_id
     WHERE e.digest <> encode(sha256(convert_to(
             %s || '|' || e.transaction_id || '|' || t.kind || '|' || t.currency || '|'
             || e.account_id || '|' || e.amount::text || '|' || e.balance_after::text,
             'UTF8')), 'hex')"""


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
    cursor.execute(
        f"""SELECT e.id, e.transaction_id, t.kind, t.currency, e.account_id, e.amount,
                   e.balance_after, e.digest
              FROM {E} e JOIN {T} t ON t.id = e.transaction_id ORDER BY e.id"""
    )
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
        for table, label in ((T, "transactions"), (E, "entries"), (A, "accounts")):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
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
