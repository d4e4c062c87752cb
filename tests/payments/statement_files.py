"""Bank statements as a bank would send them, for the import tests and the journeys."""

from __future__ import annotations

from html import escape

OPERATOR_IBAN = "DE89370400440532013000"


def camt053(payments: list[dict], *, statement_id: str = "STMT-1", iban: str = OPERATOR_IBAN):
    """A CAMT.053.001.02 statement of booked credits. Each payment: amount ("250.00"),
    currency, and either `reference` (structured RF) or `text` (free remittance text), plus
    optional payer, payer_iban, bank_reference, date."""
    entries = []
    for n, payment in enumerate(payments, start=1):
        currency = payment.get("currency", "EUR")
        if payment.get("reference"):
            remittance = (
                "<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
                f"<Ref>{escape(payment['reference'])}</Ref></CdtrRefInf></Strd></RmtInf>"
            )
        else:
            remittance = f"<RmtInf><Ustrd>{escape(payment.get('text', ''))}</Ustrd></RmtInf>"
        entries.append(
            f'<Ntry><Amt Ccy="{currency}">{payment["amount"]}</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
            f"<Sts>BOOK</Sts><BookgDt><Dt>{payment.get('date', '2026-11-27')}</Dt></BookgDt>"
            f"<AcctSvcrRef>{escape(payment.get('bank_reference', f'{statement_id}-{n}'))}"
            "</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr>"
            f"<Nm>{escape(payment.get('payer', 'Payer'))}</Nm></Dbtr>"
            f"<DbtrAcct><Id><IBAN>{payment.get('payer_iban', 'PL61109010140000071219812874')}"
            f"</IBAN></Id></DbtrAcct></RltdPties>{remittance}</TxDtls></NtryDtls></Ntry>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        "<GrpHdr><MsgId>MSG-1</MsgId><CreDtTm>2026-11-27T18:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{statement_id}</Id><Acct><Id><IBAN>{iban}</IBAN></Id></Acct>"
        f"{''.join(entries)}</Stmt></BkToCstmrStmt></Document>"
    ).encode()
