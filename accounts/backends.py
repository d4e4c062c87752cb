"""Authentication backends: Django's and allauth's, with a cheaper `get_user`.

Every signed-in request loads its user by id (django.contrib.auth.get_user). The stock
backends do it with the ORM, whose query compilation costs more CPU than the query itself
(about 0.3 ms a request); on PostgreSQL these run one written-out statement instead
(accounts.sql). The result is the same: the user, or None when it does not exist or may not
sign in.
"""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.core.exceptions import ValidationError
from django.db import connections, router

from accounts.models import User
from accounts.sql import USER_ATTNAMES, USER_BY_ID


class UserByIdMixin:
    def get_user(self, user_id):
        alias = router.db_for_read(User)
        db = connections[alias]
        if db.vendor != "postgresql":  # other databases need the ORM's value converters
            return super().get_user(user_id)
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        with db.cursor() as cursor:
            cursor.execute(USER_BY_ID, [pk])
            row = cursor.fetchone()
        if row is None:
            return None
        user = User.from_db(alias, USER_ATTNAMES, row)
        return user if self.user_can_authenticate(user) else None


class ModelBackend(UserByIdMixin, DjangoModelBackend):
    pass


class AuthenticationBackend(UserByIdMixin, AllauthBackend):
    pass
