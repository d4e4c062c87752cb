"""The ledger's written-out SQL.

The call of the posting function (migration ledger 0006), as a statement with `%s` placeholders
for a Django cursor and with `$n` placeholders for libpq (`ledger.pg`). Every parameter is sent
as text and cast in the statement: one statement text whatever the values, and no per-value
adaptation in Python.
"""

from __future__ import annotations

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
    "bigint[]",  # ids of the accounts given as accounts
    "numeric[]",  # their amounts
    "text[]",  # kinds of the operator accounts (the function finds the shard of each)
    "numeric[]",  # their amounts
    "integer",  # the operator shard the posting uses
    "text",  # digest key
    "timestamptz",  # created at
)


def _post(placeholders) -> str:
    args = ", ".join(f"{p}::{t}" for p, t in zip(placeholders, _POST_TYPES, strict=True))
    return f"SELECT ledger_post_v2({args})"


POST = _post(["%s"] * len(_POST_TYPES))
POST_NUMBERED = _post([f"${n}" for n in range(1, len(_POST_TYPES) + 1)]).encode()
