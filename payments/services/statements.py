"""Bank statements: import, match, and the queue staff work through by hand.

An upload is kept as a `StatementImport` and read by a task (the page shows its progress).
Each credit line is matched first by the RF reference in its remittance information, then,
without one, by amount against the open bank-transfer top-ups in its currency (only when
exactly one fits). A line that pays exactly its top-up credits it through the one fulfilment.
Partial and over-payments, a reference already paid, a wrong currency and lines nobody fits
wait in the queue for staff, who assign a line to a top-up (credited with what arrived) or
dismiss it. A line is matched at most once: its fingerprint is unique across imports, and a
top-up is paid by one line.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from audit.services import audit_record
from core.money import to_minor_unit
from core.queue import enqueue_on_commit
from payments.bank.reference import find_rf_references
from payments.bank.statements import StatementError, parse_statement
from payments.errors import StatementLineError
from payments.gateways.base import PaymentStatus
from payments.models import Method, PaymentEvent, StatementImport, StatementLine, TopUp
from payments.services.topups import Settlement, topup_fulfil_locked, topup_lock

LineStatus = StatementLine.Status
PROGRESS_EVERY = 50


def statement_import_create(*, actor, file_name: str, content: bytes) -> StatementImport:
    """Keep the uploaded file; the task `statement_import_run` reads it after commit."""
    with transaction.atomic(durable=True):
        statement = StatementImport.objects.create(
            created_by=actor,
            file_name=file_name[:200],
            file_sha256=hashlib.sha256(content).hexdigest(),
            content=content,
        )
        audit_record(
            actor=actor,
            action="statement.imported",
            obj=statement,
            data={"file": statement.file_name},
        )
        enqueue_on_commit("payments.tasks.statement_import_run", statement.pk)
    return statement


def _parse(statement: StatementImport):
    data = bytes(statement.content)
    return parse_statement(data, default_currency=settings.DEFAULT_CURRENCY)


def statement_import_run(*, import_id: int) -> StatementImport:
    """Read the file and process its lines, saving progress every PROGRESS_EVERY lines.
    Run again after a crash, it skips the lines already imported (their fingerprints)."""
    with transaction.atomic(durable=True):
        statement = StatementImport.objects.select_for_update().get(pk=import_id)
        if statement.status in (StatementImport.Status.DONE, StatementImport.Status.FAILED):
            return statement
        statement.status = StatementImport.Status.RUNNING
        statement.save(update_fields=["status"])
    try:
        parsed = _parse(statement)
    except StatementError as exc:
        StatementImport.objects.filter(pk=import_id).update(
            status=StatementImport.Status.FAILED, error=str(exc)[:500], finished_at=timezone.now()
        )
        return StatementImport.objects.get(pk=import_id)
    lines = list(parsed.lines)
    # Debits (money out) and entries not booked yet are no payments to us: counted, not kept.
    skipped = len(parsed.debits) + parsed.not_booked
    StatementImport.objects.filter(pk=import_id).update(
        total_lines=len(lines) + skipped, skipped=skipped, processed_lines=skipped
    )
    counts = {"matched": 0, "queued": 0, "duplicates": 0}
    credited: dict[str, Decimal] = {}
    for number, line in enumerate(lines, start=1):
        outcome = statement_line_process(statement=statement, line=line)
        counts[outcome.counter] += 1
        if outcome.credited:
            credited[line.currency] = credited.get(line.currency, Decimal(0)) + line.amount
        if number % PROGRESS_EVERY == 0 or number == len(lines):
            StatementImport.objects.filter(pk=import_id).update(
                processed_lines=F("skipped") + number, **counts
            )
    StatementImport.objects.filter(pk=import_id).update(
        status=StatementImport.Status.DONE,
        finished_at=timezone.now(),
        credited_total={currency: str(total) for currency, total in credited.items()},
        **counts,
    )
    return StatementImport.objects.get(pk=import_id)


@dataclass(frozen=True)
class LineOutcome:
    counter: str  # "matched", "queued" or "duplicates"
    credited: bool = False


def _candidate_by_reference(line) -> TopUp | None:
    references = []
    if line.structured_reference:
        references.append(line.structured_reference.replace(" ", "").upper())
    references += find_rf_references(line.remittance or "")
    if not references:
        return None
    return TopUp.objects.filter(reference__in=references, method=Method.BANK).first()


def _candidate_by_amount(line) -> TopUp | None:
    fits = list(
        TopUp.objects.filter(
            method=Method.BANK,
            status__in=TopUp.OPEN,
            currency=line.currency,
            gross=line.amount,
            statement_line__isnull=True,
        ).order_by("id")[:2]
    )
    return fits[0] if len(fits) == 1 else None


def statement_line_process(*, statement: StatementImport, line) -> LineOutcome:
    """Match one parsed line; credit it when it pays its top-up exactly."""
    currency = (line.currency or "").upper()
    by_reference = _candidate_by_reference(line)
    topup = by_reference or _candidate_by_amount(line)
    if topup is None:
        status = LineStatus.UNMATCHED
    elif topup.currency != currency:
        status = LineStatus.WRONG_CURRENCY
    elif topup.status not in TopUp.OPEN and topup.status != TopUp.Status.EXPIRED:
        status = LineStatus.ALREADY_PAID
    elif line.amount < topup.gross:
        status = LineStatus.PARTIAL
    elif line.amount > topup.gross:
        status = LineStatus.OVER
    else:
        status = LineStatus.MATCHED
    try:
        with transaction.atomic(durable=True):
            row = StatementLine.objects.create(
                statement_import=statement,
                fingerprint=line.fingerprint,
                booking_date=line.booking_date,
                amount=to_minor_unit(line.amount, currency or "EUR"),
                currency=currency,
                remittance=(line.remittance or "")[:500],
                structured_reference=(line.structured_reference or "")[:40],
                payer_name=(line.payer_name or "")[:200],
                payer_iban=(line.payer_iban or "")[:40],
                bank_reference=(line.bank_reference or "")[:120],
                status=status,
                candidate=topup,
            )
    except IntegrityError:
        return LineOutcome("duplicates")
    if status != LineStatus.MATCHED:
        return LineOutcome("queued")
    credited = _line_pays(line_id=row.pk, topup_id=topup.pk, actor=None, by_hand=False)
    return LineOutcome("matched" if credited else "queued", credited=credited)


@transaction.atomic(durable=True)
def _line_pays(*, line_id: int, topup_id: int, actor, by_hand: bool, note: str = "") -> bool:
    """Settle the top-up with the line's money (top-up first, then line: the lock order of
    every path). Exact payments credit the order; by hand, a different amount re-prices the
    top-up to what arrived under the same VAT treatment."""
    topup = topup_lock(topup_id)
    line = StatementLine.objects.select_for_update().get(pk=line_id)
    if line.topup_id is not None:
        raise StatementLineError("resolved")
    if topup.status not in TopUp.OPEN and topup.status != TopUp.Status.EXPIRED:
        line.status = LineStatus.ALREADY_PAID
        line.save(update_fields=["status"])
        return False
    if by_hand and line.amount != topup.gross:
        _reprice(topup, line.amount)
    if topup.status == TopUp.Status.EXPIRED:
        # Money arrived after the proforma expired: it is still the reseller's.
        topup.status = TopUp.Status.PENDING
        topup.save(update_fields=["status", "updated_at"])
    line.topup = topup
    line.status = LineStatus.ASSIGNED if by_hand else LineStatus.MATCHED
    line.resolved_by = actor
    line.note = note[:300]
    line.save(update_fields=["topup", "status", "resolved_by", "note"])
    return _settle_nested(topup, line, actor)


def _reprice(topup: TopUp, gross: Decimal) -> None:
    vat = to_minor_unit(gross * topup.vat_rate / (100 + topup.vat_rate), topup.currency)
    topup.gross = gross
    topup.vat = vat
    topup.net = gross - vat
    topup.save(update_fields=["gross", "vat", "net", "updated_at"])


def _settle_nested(topup: TopUp, line: StatementLine, actor) -> bool:
    settled = topup_fulfil_locked(
        topup,
        Settlement(
            source=PaymentEvent.Source.STATEMENT,
            status=PaymentStatus.PAID,
            amount=line.amount,
            currency=line.currency,
            event_type=f"line:{line.pk}",
            payload={
                "booking_date": line.booking_date.isoformat(),
                "payer": line.payer_name,
                "remittance": line.remittance,
                "bank_reference": line.bank_reference,
            },
            actor=actor,
        ),
    )
    return settled.credited


def statement_line_assign(*, line_id: int, reference: str, actor, note: str = "") -> TopUp:
    """Staff: this queued line pays the bank-transfer top-up with `reference`; credited with
    what arrived (re-priced when it differs from the order)."""
    line = StatementLine.objects.get(pk=line_id)
    if line.status not in StatementLine.QUEUE:
        raise StatementLineError("resolved")
    if line.amount <= 0:
        raise StatementLineError("not-a-credit")
    compact = reference.replace(" ", "").upper()
    topup = TopUp.objects.filter(reference=compact, method=Method.BANK).first()
    if topup is None:
        raise StatementLineError("topup-unknown")
    if topup.currency != line.currency:
        raise StatementLineError(
            "wrong-currency", line_currency=line.currency, topup_currency=topup.currency
        )
    if topup.status not in TopUp.OPEN and topup.status != TopUp.Status.EXPIRED:
        raise StatementLineError("topup-paid")
    if not _line_pays(line_id=line.pk, topup_id=topup.pk, actor=actor, by_hand=True, note=note):
        raise StatementLineError("topup-paid")
    return TopUp.objects.get(pk=topup.pk)


@transaction.atomic(durable=True)
def statement_line_dismiss(*, line_id: int, actor, note: str) -> StatementLine:
    """Staff: this line is not a top-up (returned to the payer, another business)."""
    line = StatementLine.objects.select_for_update().get(pk=line_id)
    if line.status not in StatementLine.QUEUE:
        raise StatementLineError("resolved")
    line.status = LineStatus.DISMISSED
    line.resolved_by = actor
    line.note = note[:300]
    line.save(update_fields=["status", "resolved_by", "note"])
    audit_record(
        actor=actor,
        action="statement.line_dismissed",
        obj=line,
        data={"amount": str(line.amount), "currency": line.currency, "note": note[:200]},
    )
    return line
