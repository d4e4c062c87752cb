"""The ledger's written-out SQL: the call of the posting function and ledger_verify's rules.

The call of the posting function (migration ledger 0006), as a statement with `%s` placeholders
for a Django cursor and with `$n` placeholders for libpq (`ledger.pg`). Every parameter is sent
as text and cast in the statement: one statement text whatever the values, and no per-value
adaptation in Python.

ledger_verify's rules are set-based statements, one per rule; their table and column names
come from the models' `_meta`. tests/ledger/test_sql.py checks each rule against the same rule
computed from ORM reads, on a ledger broken in every way the rules look for.
"""

from __future__ import annotations

from ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction

# ledger_post_v2's parameters, in order, with the type each text is cast to.
_POST_TYPES = (
    "text",  # kind
    "text",  # currency
    "text",  # memo
    "bigint",  # actor id
    "bigint",  # reseller id
    "text",  # idempotency scope
    "text",  # idempotency key
    "text",  # request hash
    "bigint",  # id of the transaction reversed
    "jsonb",  # metadata
    "bigint[]",  # ids of the accounts other than the operator's, ascending
    "numeric[]",  # their amounts
    "text[]",  # the operator's accounts: kinds, by (kind, shard) ascending
    "integer[]",  # their shards
    "numeric[]",  # their amounts
    "text",  # digest key
    "timestamptz",  # created at
)


def _post(placeholders) -> str:
    args = ", ".join(f"{p}::{t}" for p, t in zip(placeholders, _POST_TYPES, strict=True))
    return f"SELECT ledger_post_v2({args})"


POST = _post(["%s"] * len(_POST_TYPES))
POST_NUMBERED = _post([f"${n}" for n in range(1, len(_POST_TYPES) + 1)]).encode()


# --- ledger_verify -------------------------------------------------------------------------------


def _name(name: str) -> str:
    return f'"{name}"'


def _columns(model, **fields: str) -> dict[str, str]:
    return {key: _name(model._meta.get_field(field).column) for key, field in fields.items()}


_N = {
    "E": _name(LedgerEntry._meta.db_table),
    "A": _name(LedgerAccount._meta.db_table),
    "T": _name(LedgerTransaction._meta.db_table),
    **_columns(
        LedgerEntry,
        e_id="id",
        e_txn="transaction",
        e_account="account",
        e_amount="amount",
        e_after="balance_after",
        e_digest="digest",
    ),
    **_columns(LedgerAccount, a_id="id", a_currency="currency", a_balance="balance"),
    **_columns(LedgerAccount, a_limit="lower_limit"),
    **_columns(LedgerTransaction, t_id="id", t_kind="kind", t_currency="currency"),
}

# How many rows each table has, by label.
COUNTS = [
    ("transactions", "SELECT COUNT(*) FROM {T}".format(**_N)),
    ("entries", "SELECT COUNT(*) FROM {E}".format(**_N)),
    ("accounts", "SELECT COUNT(*) FROM {A}".format(**_N)),
]

SUM_RULE = "transactions sum to zero per currency"
ENTRIES_RULE = "transactions have at least two entries"
# Also what a foreign key would say: the entries have none in the database (migration 0005).
ACCOUNTS_RULE = "entries are on existing accounts, in their transaction's currency"
BALANCE_RULE = "cached balances equal the sum of entries"
CHAIN_RULE = "balance_after chains are consistent"
LIMIT_RULE = "no balance is past its lower limit"
DIGEST_RULE = "entries are unedited (digests match)"

# Each rule's statement selects the rows that break it.
RULES: list[tuple[str, str]] = [
    (
        SUM_RULE,
        """SELECT e.{e_txn}, a.{a_currency}, SUM(e.{e_amount})
              FROM {E} e JOIN {A} a ON a.{a_id} = e.{e_account}
             GROUP BY e.{e_txn}, a.{a_currency}
            HAVING ABS(SUM(e.{e_amount})) >= 0.00005""",
    ),
    (
        ENTRIES_RULE,
        """SELECT t.{t_id}, COUNT(e.{e_id}) FROM {T} t LEFT JOIN {E} e ON e.{e_txn} = t.{t_id}
             GROUP BY t.{t_id} HAVING COUNT(e.{e_id}) < 2""",
    ),
    (
        ACCOUNTS_RULE,
        """SELECT e.{e_id}, e.{e_txn}, a.{a_currency}, t.{t_currency}
              FROM {E} e LEFT JOIN {A} a ON a.{a_id} = e.{e_account}
                         LEFT JOIN {T} t ON t.{t_id} = e.{e_txn}
             WHERE a.{a_id} IS NULL OR t.{t_id} IS NULL OR a.{a_currency} <> t.{t_currency}""",
    ),
    (
        BALANCE_RULE,
        """SELECT a.{a_id}, a.{a_balance}, COALESCE(s.total, 0)
              FROM {A} a LEFT JOIN (SELECT {e_account} AS account_id, SUM({e_amount}) AS total
                                      FROM {E} GROUP BY {e_account}) s
                     ON s.account_id = a.{a_id}
             WHERE ABS(a.{a_balance} - COALESCE(s.total, 0)) >= 0.00005""",
    ),
    (
        CHAIN_RULE,
        """SELECT entry_id, account_id, balance_after, running FROM (
                SELECT {e_id} AS entry_id, {e_account} AS account_id,
                       {e_after} AS balance_after,
                       SUM({e_amount}) OVER (
                           PARTITION BY {e_account} ORDER BY {e_id}
                           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
                       ) AS running
                  FROM {E}) chain
             WHERE ABS(balance_after - running) >= 0.00005""",
    ),
    (
        LIMIT_RULE,
        """SELECT {a_id}, {a_balance}, {a_limit} FROM {A}
             WHERE {a_limit} IS NOT NULL AND {a_balance} < {a_limit}""",
    ),
]
RULES = [(name, sql.format(**_N)) for name, sql in RULES]

# PostgreSQL recomputes every digest (services.digest_text and entry_digest, in SQL): the
# entries whose digest differs. One parameter: the digest key.
PG_DIGESTS = """
    SELECT e.{e_id}, e.{e_txn} FROM {E} e JOIN {T} t ON t.{t_id} = e.{e_txn}
     WHERE e.{e_digest} <> encode(sha256(convert_to(
             %s || '|' || e.{e_txn} || '|' || t.{t_kind} || '|' || t.{t_currency} || '|'
             || e.{e_account} || '|' || e.{e_amount}::text || '|' || e.{e_after}::text,
             'UTF8')), 'hex')""".format(**_N)

# Elsewhere Python recomputes them from these rows, in entry id order.
DIGEST_ROWS = """SELECT e.{e_id}, e.{e_txn}, t.{t_kind}, t.{t_currency}, e.{e_account},
                        e.{e_amount}, e.{e_after}, e.{e_digest}
                   FROM {E} e JOIN {T} t ON t.{t_id} = e.{e_txn} ORDER BY e.{e_id}""".format(**_N)
