"""Bank statements: CAMT.053 (001.02 and 001.08) and CSV read into the same payment lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from core.errors import DomainError
from payments.bank.statements import (
    StatementError,
    parse_camt053,
    parse_csv,
    parse_statement,
)

DATA = Path(__file__).parent / "data"
ACCOUNT = "DE89370400440532013000"


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def by_amount(lines):
    return {line.amount: line for line in lines}


# --- CAMT.053.001.02 -------------------------------------------------------------------------


def test_camt_02_statement_and_its_booked_credits():
    statement = parse_camt053(read("camt053_v02.xml"))
    assert statement.format == "camt.053.001.02"
    assert statement.statement_id == "0352C5320261127220513"
    assert statement.account_iban == ACCOUNT
    # Six entries: four booked credits (one a batch of two), one debit, one pending.
    assert sorted(line.amount for line in statement.lines) == [
        Decimal("50.00"),
        Decimal("100.00"),
        Decimal("119.00"),
        Decimal("200.00"),
        Decimal("250.00"),
    ]
    assert statement.not_booked == 1
    assert statement.totals == {"EUR": Decimal("719.00")}
    assert all(line.currency == "EUR" for line in statement.lines)
    assert all(line.booking_date == date(2026, 11, 27) for line in statement.lines)


def test_camt_02_reference_from_the_structured_field():
    line = by_amount(parse_camt053(read("camt053_v02.xml")).lines)[Decimal("119.00")]
    assert line.structured_reference == "RF95T000101"
    assert line.payer_name == "Muster Telecom GmbH"
    assert line.payer_iban == "DE02120300000000202051"
    assert line.bank_reference == "2026112700001-1"  # the transaction's own AcctSvcrRef
    assert line.position == 1


def test_camt_02_reference_found_in_the_free_text_over_two_lines():
    line = by_amount(parse_camt053(read("camt053_v02.xml")).lines)[Decimal("250.00")]
    assert line.structured_reference == "RF68T000102"
    assert line.remittance == "Proforma PF-2026-0002 rf68 T000 102 dziekujemy"
    assert line.payer_name == "Sklep Polska Sp. z o.o."
    assert line.bank_reference == "2026112700002"  # the entry's, as it holds one transfer


def test_camt_02_a_batch_gives_one_line_per_transfer_with_its_own_amount():
    lines = by_amount(parse_camt053(read("camt053_v02.xml")).lines)
    first, second = lines[Decimal("100.00")], lines[Decimal("200.00")]
    assert first.structured_reference == "RF41T000103"  # spaced in the structured field
    assert first.payer_name == "Alpha Reseller SARL"
    assert first.bank_reference == "TX-20261127-A1"
    assert second.structured_reference == ""
    assert second.remittance == "Guthaben Aufladung Kundennr 4711"
    assert second.bank_reference == "2026112700004/2"
    assert first.position == second.position == 4
    assert first.fingerprint != second.fingerprint


def test_camt_02_debits_are_reported_apart_and_a_wrong_check_digit_is_no_reference():
    statement = parse_camt053(read("camt053_v02.xml"))
    (fee,) = statement.debits
    assert fee.amount == Decimal("-12.34")
    assert fee.remittance == "Kontoführungsgebühren November"
    unmatched = by_amount(statement.lines)[Decimal("50.00")]
    assert unmatched.structured_reference == ""  # RF99… has wrong check digits
    assert unmatched.payer_name == "Delta & Söhne"
    assert unmatched.bank_reference == "N-0006"  # no AcctSvcrRef: the entry reference


# --- CAMT.053.001.08 -------------------------------------------------------------------------


def test_camt_08_status_code_party_and_transaction_amount():
    statement = parse_statement(read("camt053_v08.xml"))
    assert statement.format == "camt.053.001.08"
    assert statement.statement_id == "STMT-2026-11-28"
    (line,) = statement.lines
    assert line.amount == Decimal("1190.00")
    assert line.structured_reference == "RF84T000105"
    assert line.payer_name == "Muster Telecom GmbH"  # Dbtr/Pty/Nm
    assert line.bank_reference == "BANK-8812-0001-TX"
    assert statement.not_booked == 1  # <Sts><Cd>PDNG</Cd></Sts>
    assert [debit.amount for debit in statement.debits] == [Decimal("-40.00")]


# --- fingerprints ----------------------------------------------------------------------------


def test_the_same_file_read_twice_gives_the_same_fingerprints():
    for name in ("camt053_v02.xml", "camt053_v08.xml", "dkb.csv", "sparkasse.csv"):
        first, second = parse_statement(read(name)), parse_statement(read(name))
        prints = [line.fingerprint for line in first.lines + first.debits]
        assert prints == [line.fingerprint for line in second.lines + second.debits]
        assert len(set(prints)) == len(prints)
        assert all(len(p) == 64 for p in prints)


def test_two_identical_payments_in_one_file_stay_two_lines():
    row = "2026-11-27,50.00,EUR,Top-up,Muster GmbH,DE02120300000000202051,\n"
    statement = parse_csv(
        ("date,amount,currency,reference,name,iban,bank_reference\n" + row * 2).encode()
    )
    first, second = statement.lines
    assert first.fingerprint != second.fingerprint
    again = parse_csv(
        ("date,amount,currency,reference,name,iban,bank_reference\n" + row * 2).encode()
    )
    assert [line.fingerprint for line in again.lines] == [first.fingerprint, second.fingerprint]


def test_the_fingerprint_changes_with_what_identifies_the_line():
    header = "date,amount,currency,reference,name,iban,bank_reference\n"
    base = ["2026-11-27", "50.00", "EUR", "Top-up", "Muster GmbH", "DE02120300000000202051", "B1"]
    original = parse_csv((header + ",".join(base)).encode()).lines[0].fingerprint
    for index, other in (
        (0, "2026-11-28"),
        (1, "50.01"),
        (2, "CHF"),
        (3, "Top-up 2"),
        (5, "DE44500105175407324931"),
        (6, "B2"),
    ):
        changed = list(base)
        changed[index] = other
        line = parse_csv((header + ",".join(changed)).encode()).lines[0]
        assert line.fingerprint != original, index
    # Spacing and case of the text, and how the payer's name is written, are not identity.
    same = list(base)
    same[3], same[4] = " TOP-UP ", "MUSTER GMBH"
    assert parse_csv((header + ",".join(same)).encode()).lines[0].fingerprint == original


# --- CSV ---------------------------------------------------------------------------------------


def test_our_documented_csv_layout():
    data = (
        b"date,amount,currency,reference,name,iban,bank_reference\n"
        b'2026-11-27,"1,234.50",EUR,RF18 5390 0754 7034,Muster GmbH,'
        b"DE02 1203 0000 0000 2020 51,TX-1\n"
        b"2026-11-27,-3.00,EUR,fee,,,TX-2\n"
    )
    statement = parse_csv(data)
    assert statement.format == "csv"
    assert statement.statement_id.startswith("csv-")
    (line,) = statement.lines
    assert line.amount == Decimal("1234.50")
    assert line.structured_reference == "RF18539007547034"
    assert line.payer_iban == "DE02120300000000202051"
    assert line.bank_reference == "TX-1"
    assert line.position == 2
    assert [debit.amount for debit in statement.debits] == [Decimal("-3.00")]


def test_dkb_export_with_preamble_bom_two_digit_years_and_a_pending_row():
    statement = parse_statement(read("dkb.csv"))
    assert statement.account_iban == ACCOUNT  # from the rows above the header
    assert statement.not_booked == 1  # "Vorgemerkt"
    lines = by_amount(statement.lines)
    assert set(lines) == {Decimal("1190.00"), Decimal("250.00")}
    top_up = lines[Decimal("1190.00")]
    assert top_up.booking_date == date(2026, 11, 28)
    assert top_up.structured_reference == "RF95T000101"
    assert top_up.payer_name == "Müller & Söhne GmbH"
    assert lines[Decimal("250.00")].payer_name == "Zakład Usług Sp. z o.o."
    assert [debit.amount for debit in statement.debits] == [Decimal("-40.00")]


def test_sparkasse_export_in_windows_1252():
    statement = parse_statement(read("sparkasse.csv"))
    assert statement.account_iban == ACCOUNT  # the Auftragskonto column
    lines = by_amount(statement.lines)
    assert lines[Decimal("100.00")].structured_reference == "RF41T000103"
    cologne = lines[Decimal("1234.56")]
    assert cologne.payer_name == "Kölner Funk GmbH"
    assert cologne.remittance == "Zahlung für Proforma, Grüße aus Köln"
    assert cologne.booking_date == date(2026, 11, 28)  # Buchungstag, not Valutadatum
    assert [debit.amount for debit in statement.debits] == [Decimal("-12.34")]


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("1.234,56", "1234.56"),
        ("1234,56", "1234.56"),
        ("-1.234,56", "-1234.56"),
        ("12,50-", "-12.50"),
        ("+5,00 €", "5.00"),
        ("1.234", "1234"),
        ("1.000.000,00", "1000000.00"),
    ],
)
def test_german_amounts(amount, expected):
    data = f"Buchungstag;Betrag;Währung;Verwendungszweck\n01.12.2026;{amount};EUR;x\n"
    statement = parse_csv(data.encode())
    (line,) = statement.lines or statement.debits
    assert line.amount == Decimal(expected)
    assert line.booking_date == date(2026, 12, 1)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("1,234.56", "1234.56"), ("1234.56", "1234.56"), ("1,234", "1234"), ("12,5", "12.5")],
)
def test_english_amounts(amount, expected):
    data = f'date,amount,currency\n2026-12-01,"{amount}",EUR\n'
    assert parse_csv(data.encode()).lines[0].amount == Decimal(expected)


def test_debit_and_credit_columns_and_a_soll_haben_mark():
    split = "Buchungstag;Soll;Haben;Währung\n01.12.2026;;100,00;EUR\n01.12.2026;7,50;;EUR\n"
    statement = parse_csv(split.encode())
    assert [line.amount for line in statement.lines] == [Decimal("100.00")]
    assert [line.amount for line in statement.debits] == [Decimal("-7.50")]
    marked = "Buchungstag;Betrag;S/H\n01.12.2026;100,00;H\n01.12.2026;7,50;S\n"
    statement = parse_csv(marked.encode(), default_currency="EUR")
    assert [line.amount for line in statement.lines] == [Decimal("100.00")]
    assert [line.amount for line in statement.debits] == [Decimal("-7.50")]


def test_tab_separated_utf16_from_a_spreadsheet():
    data = "Date\tAmount\tCurrency\n2026-12-01\t10.00\tEUR\n".encode("utf-16")
    assert parse_statement(data).lines[0].amount == Decimal("10.00")


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (b"date,amount\n2026-12-01,12x\n", "csv-amount", "Line 2 has an unreadable amount"),
        (b"date,amount\n2026-12-01,1.2.3,4\n", "csv-amount", "Line 2"),
        (
            b"date,amount\n\n2026-12-01,1\n31.02.2026,1\n",
            "csv-date",
            "Line 4 has an unreadable date",
        ),
        (b"date,amount,currency\n2026-12-01,1,EURO\n", "csv-currency", "Line 2"),
        (b"just some text\nwith lines\n", "csv-no-header", "header"),
        (b"", "empty", "empty"),
    ],
)
def test_csv_errors_name_the_line(data, code, words):
    with pytest.raises(StatementError) as caught:
        parse_csv(data)
    assert caught.value.code == code
    assert words in str(caught.value)
    assert isinstance(caught.value, DomainError)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"%PDF-1.7\n\x00\x01binary", "not-a-statement"),
        (b"Hello, this is a letter.\n", "not-a-statement"),
        (b"<html><body>no</body></html>", "not-a-statement"),
        (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"/>', "unknown-format"),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>',
            "broken-xml",
        ),
        (b"   ", "empty"),
    ],
)
def test_what_is_not_a_statement_says_so(data, code):
    with pytest.raises(StatementError) as caught:
        parse_statement(data)
    assert caught.value.code == code


def test_camt_052_is_named_in_the_message():
    with pytest.raises(StatementError) as caught:
        parse_camt053(b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"/>')
    assert "camt.052.001.02" in str(caught.value)


def _entry(amount: str, extra: str = "", status: str = "<Sts>BOOK</Sts>") -> str:
    return (
        f'<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>{status}'
        f"<BookgDt><Dt>2026-11-27</Dt></BookgDt>{extra}</Ntry>"
    )


def _camt(*entries: str, accounts=(ACCOUNT,)) -> bytes:
    statements = "".join(
        f"<Stmt><Id>S{n}</Id><Acct><Id><IBAN>{iban}</IBAN></Id></Acct>{''.join(entries)}</Stmt>"
        for n, iban in enumerate(accounts)
    )
    return (
        '<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04">'
        f"<BkToCstmrStmt>{statements}</BkToCstmrStmt></Document>"
    ).encode()


@pytest.mark.parametrize(
    ("entry", "code"),
    [
        (_entry("ten"), "entry-amount"),
        (_entry("-5.00"), "entry-amount"),
        (_entry("5.00").replace(' Ccy="EUR"', ""), "entry-currency"),
        (_entry("5.00").replace("CRDT", "BOTH"), "entry-direction"),
        (_entry("5.00").replace("<Dt>2026-11-27</Dt>", "<Dt>27.11.2026</Dt>"), "entry-date"),
        (
            _entry(
                "5.00",
                "<NtryDtls><TxDtls><Amt Ccy='EUR'>2.00</Amt></TxDtls>"
                "<TxDtls><Amt Ccy='EUR'>2.00</Amt></TxDtls></NtryDtls>",
            ),
            "entry-split",
        ),
    ],
)
def test_camt_entry_errors_name_the_entry(entry, code):
    with pytest.raises(StatementError) as caught:
        parse_camt053(_camt(_entry("1.00"), entry))
    assert caught.value.code == code
    assert "Entry 2" in str(caught.value)


def test_several_accounts_in_one_file_are_refused():
    with pytest.raises(StatementError) as caught:
        parse_camt053(_camt(_entry("1.00"), accounts=(ACCOUNT, "DE02120300000000202051")))
    assert caught.value.code == "several-accounts"
    assert "DE02120300000000202051" in str(caught.value)


def test_an_entry_without_details_and_a_version_04_batch():
    batch = _entry(
        "30.00",
        "<AcctSvcrRef>R9</AcctSvcrRef><NtryDtls>"
        "<TxDtls><Amt Ccy='EUR'>10.00</Amt><RmtInf><Ustrd>RF18 5390 0754 7034</Ustrd></RmtInf>"
        "</TxDtls><TxDtls><Amt Ccy='EUR'>20.00</Amt></TxDtls></NtryDtls>",
    )
    statement = parse_camt053(_camt(_entry("1.00", "<AddtlNtryInf>Bar</AddtlNtryInf>"), batch))
    assert statement.format == "camt.053.001.04"
    assert [(line.amount, line.bank_reference) for line in statement.lines] == [
        (Decimal("1.00"), ""),
        (Decimal("10.00"), "R9/1"),
        (Decimal("20.00"), "R9/2"),
    ]
    assert statement.lines[0].remittance == "Bar"
    assert statement.lines[1].structured_reference == "RF18539007547034"


@pytest.mark.parametrize("name", ["xxe.xml", "billion_laughs.xml"])
def test_entity_attacks_are_refused_unread(name):
    with pytest.raises(StatementError) as caught:
        parse_statement(read(name))
    assert caught.value.code == "unsafe-xml"
    assert "DTD" in str(caught.value)
    assert "root:" not in str(caught.value)  # nothing of /etc/passwd


def test_messages_are_translated_when_shown():
    with pytest.raises(StatementError) as caught:
        parse_csv(b"date,amount\n2026-12-01,12x\n")
    assert str(caught.value) == "Line 2 has an unreadable amount: “12x”."
    # The message is marked for translation (lazy): shown in German it goes through
    # German's catalogue (the lead adds the German text; until then English comes back).
    with translation.override("de"):
        assert "12x" in str(caught.value)


# --- size ----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_twenty_thousand_entries_are_all_read():
    """The size an import may have: every entry read, each with its own fingerprint (the time
    it takes is a figure for bench/, not an assertion)."""
    entries = "".join(
        _entry(
            f"{n % 500 + 1}.00",
            f"<AcctSvcrRef>R{n}</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Payer {n}"
            f"</Nm></Dbtr></RltdPties><RmtInf><Ustrd>Top-up {n}</Ustrd></RmtInf></TxDtls>"
            "</NtryDtls>",
        )
        for n in range(20_000)
    )
    data = _camt(entries)
    statement = parse_camt053(data)
    assert len(statement.lines) == 20_000
    assert len({line.fingerprint for line in statement.lines}) == 20_000
    rows = "".join(f"2026-11-27;{n % 500 + 1},00;EUR;Top-up {n};Payer {n}\n" for n in range(20_000))
    csv_statement = parse_csv(("date;amount;currency;reference;name\n" + rows).encode())
    assert len(csv_statement.lines) == 20_000
