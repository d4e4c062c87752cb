"""The accounts app's written-out SQL: the user look-up every signed-in request runs, where the
ORM's query compiling cost more CPU than the query (accounts.backends).

Table and column names come from the model's `_meta`, the id is a parameter.
tests/accounts/test_backends.py checks it against Django's own look-up, field by field.
"""

from __future__ import annotations

from accounts.models import User

USER_FIELDS = User._meta.concrete_fields
USER_ATTNAMES = [field.attname for field in USER_FIELDS]
USER_BY_ID = "SELECT {columns} FROM {table} WHERE {pk} = %s".format(
    columns=", ".join(f'"{field.column}"' for field in USER_FIELDS),
    table=f'"{User._meta.db_table}"',
    pk=f'"{User._meta.pk.column}"',
)
