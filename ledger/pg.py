"""Calling the posting function on PostgreSQL: the one module of the ledger that knows psycopg.

`call_post_function(db, params)` runs `ledger.sql.POST` once, one round trip, and returns the
new transaction's id, or None when the idempotency key was used before (the caller looks that
transaction up). It raises PostingRefused when the function refused an account (a lower limit
or another currency), and Django's database errors for anything else.

Two ways, chosen by `settings.LEDGER_POST_LIBPQ`:

- Through a Django cursor (the default): documented API only; the statement is logged,
  counted, wrapped and its errors translated like any other. It keeps no state in the database
  session, so it works behind any pooler. Django leaves psycopg's prepared statements off (its
  cursors bind parameters on the client); the DATABASES option pair `server_side_binding` and
  `prepare_threshold` turns them on for every query of the project, this one included.
- Through libpq (`LEDGER_POST_LIBPQ = True`, production): one call into C per posting through
  psycopg's libpq wrapper (`Connection.pgconn`), without the cursor machinery (about half the
  Python time of a posting). In autocommit it runs a prepared statement: prepared once per
  session (PQprepare), then PQexecPrepared. If the session lost it (SQLSTATE 26000, after
  DEALLOCATE ALL or behind a transaction-mode pooler) it is prepared again and the call
  repeated, which is safe: the failed statement changed nothing. Inside a transaction the call
  runs unprepared (PQexecParams, still one round trip): a failed statement would abort the
  caller's transaction, so nothing in it may depend on the session's state. While queries are
  logged or wrapped (tests counting them, DEBUG) the cursor is used, so they see the posting.
"""

from __future__ import annotations

import weakref

import psycopg
from django.conf import settings
from django.db import DatabaseError
from psycopg import pq

from ledger.sql import POST, POST_NUMBERED

# ledger_post_v2 refuses an account with HINT REFUSED_HINT and the account's id as DETAIL.
REFUSED_HINT = "ledger_post_refused"
STATEMENT_NAME = b"tessera_ledger_post_v2"  # a new function, a new name

_INVALID_STATEMENT_NAME = "26000"  # the session has no statement of that name
_DUPLICATE_STATEMENT = "42P05"  # it has one already (a pooler's server session)
# psycopg connections whose session has STATEMENT_NAME prepared (a new connection has not).
_PREPARED_ON: weakref.WeakSet = weakref.WeakSet()


class PostingRefused(Exception):
    """The posting function refused an account: a lower limit or another currency."""

    def __init__(self, account_id: int):
        super().__init__(f"ledger account {account_id} refused the posting")
        self.account_id = account_id


def call_post_function(db, params: list[str | None]) -> int | None:
    """Call the posting function with `params` (texts, see ledger.sql) on `db`, a Django
    connection to PostgreSQL; the new transaction's id, or None for a replayed key."""
    if settings.LEDGER_POST_LIBPQ and not (db.queries_logged or db.execute_wrappers):
        return _call_libpq(db, params)
    return _call_cursor(db, params)


def _call_cursor(db, params: list[str | None]) -> int | None:
    try:
        with db.cursor() as cursor:
            cursor.execute(POST, params)
            return cursor.fetchone()[0]
    except DatabaseError as error:
        # Django keeps the driver's exception as the cause; its diagnostics are psycopg's.
        diag = getattr(error.__cause__, "diag", None)
        if diag is not None and diag.message_hint == REFUSED_HINT:
            raise PostingRefused(int(diag.message_detail)) from None
        raise


def _call_libpq(db, params: list[str | None]) -> int | None:
    conn = db.connection
    if conn is None:
        db.ensure_connection()
        conn = db.connection
    pgconn = conn.pgconn
    values = [None if value is None else value.encode() for value in params]
    if not conn.autocommit:  # inside Django's transaction
        if pgconn.transaction_status != pq.TransactionStatus.INTRANS:
            # It has not begun on the server yet (this is its first statement) or is
            # aborted: the cursor begins it, or raises as Django would.
            return _call_cursor(db, params)
        return _value(db, pgconn.exec_params(POST_NUMBERED, values))
    for attempt in (1, 2):
        if conn not in _PREPARED_ON:
            prepared = pgconn.prepare(STATEMENT_NAME, POST_NUMBERED)
            if prepared.status != pq.ExecStatus.COMMAND_OK and (
                _field(prepared, pq.DiagnosticField.SQLSTATE) != _DUPLICATE_STATEMENT
            ):
                _raise(db, prepared)
            _PREPARED_ON.add(conn)
        result = pgconn.exec_prepared(STATEMENT_NAME, values)
        if (
            attempt == 1
            and result.status != pq.ExecStatus.TUPLES_OK
            and (_field(result, pq.DiagnosticField.SQLSTATE) == _INVALID_STATEMENT_NAME)
        ):
            _PREPARED_ON.discard(conn)  # the session lost it: prepare it again
            continue
        return _value(db, result)
    raise AssertionError("unreachable")


def _value(db, result: pq.abc.PGresult) -> int | None:
    if result.status != pq.ExecStatus.TUPLES_OK:
        _raise(db, result)
    value = result.get_value(0, 0)
    return None if value is None else int(value)


def _field(result: pq.abc.PGresult, code: pq.DiagnosticField) -> str | None:
    value = result.error_field(code)
    return None if value is None else value.decode("utf-8", "replace")


def _raise(db, result: pq.abc.PGresult) -> None:
    """Raise what a cursor would for a failed result: PostingRefused for the posting
    function's refusal, else the Django database error for its SQLSTATE."""
    if _field(result, pq.DiagnosticField.MESSAGE_HINT) == REFUSED_HINT:
        raise PostingRefused(int(_field(result, pq.DiagnosticField.MESSAGE_DETAIL)))
    sqlstate = _field(result, pq.DiagnosticField.SQLSTATE)
    # libpq's full text (DETAIL, HINT, CONTEXT lines included) without "ERROR:  " in front.
    message = result.error_message.decode("utf-8", "replace").strip()
    severity = _field(result, pq.DiagnosticField.SEVERITY)
    if severity and message.startswith(f"{severity}:"):
        message = message[len(severity) + 1 :].lstrip()
    try:
        error = psycopg.errors.lookup(sqlstate) if sqlstate else psycopg.OperationalError
    except KeyError:
        error = psycopg.DatabaseError
    with db.wrap_database_errors:  # as around a cursor: Django's class, the connection marked
        raise error(message)
