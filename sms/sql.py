"""The sms app's written-out SQL: the three statements every SMS sent runs (the claim, the
read of the message with its sender's names, the update once sent), where compiling the
equivalent querysets cost more CPU than the rest of a delivery.

Table and column names come from the models' `_meta`, every value is a parameter.
tests/sms/test_sql.py checks each statement against the ORM.
"""

from __future__ import annotations

from resellers.models import Branding, Reseller
from sms.models import Message


def _name(name: str) -> str:
    return f'"{name}"'


def _column(model, field: str) -> str:
    return _name(model._meta.get_field(field).column)


_M = _name(Message._meta.db_table)
_message = {field: _column(Message, field) for field in (
    "id", "reseller", "status", "attempts", "backend", "updated_at", "provider_message_id",
    "sent_at", "next_attempt_at", "last_error", "secret_body",
)}  # fmt: skip

# queued → sending, one attempt more: UPDATE ... WHERE id = %s AND status = %s (queued).
# Parameters: status, backend, updated_at, id, status before.
CLAIM = (
    f"UPDATE {_M} SET {_message['status']} = %s,"
    f" {_message['attempts']} = {_message['attempts']} + 1,"
    f" {_message['backend']} = %s, {_message['updated_at']} = %s"
    f" WHERE {_message['id']} = %s AND {_message['status']} = %s"
)

# Sent: parameters status, provider_message_id, sent_at, last_error, updated_at, id, and the
# status it must not have already (sent). The secret's full text is emptied (sms.services).
SENT = (
    f"UPDATE {_M} SET {_message['status']} = %s, {_message['provider_message_id']} = %s,"
    f" {_message['sent_at']} = %s, {_message['next_attempt_at']} = NULL,"
    f" {_message['secret_body']} = '',"
    f" {_message['last_error']} = %s, {_message['updated_at']} = %s"
    f" WHERE {_message['id']} = %s AND {_message['status']} <> %s"
)

# The message by id, with `sender_reseller_name` and `sender_display_name` (its reseller's
# name and branding display name, NULL without branding) for sms.backends.message_sender_name.
FOR_DELIVERY = (
    "SELECT {columns}, r.{r_name} AS sender_reseller_name, b.{b_name} AS sender_display_name"
    " FROM {message} m JOIN {reseller} r ON r.{r_pk} = m.{m_reseller}"
    " LEFT JOIN {branding} b ON b.{b_reseller} = r.{r_pk} WHERE m.{m_pk} = %s"
).format(
    columns=", ".join(f"m.{_name(f.column)}" for f in Message._meta.concrete_fields),
    message=_M,
    reseller=_name(Reseller._meta.db_table),
    branding=_name(Branding._meta.db_table),
    r_name=_column(Reseller, "name"),
    r_pk=_name(Reseller._meta.pk.column),
    b_name=_column(Branding, "display_name"),
    b_reseller=_column(Branding, "reseller"),
    m_reseller=_message["reseller"],
    m_pk=_message["id"],
)
