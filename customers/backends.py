"""Sign-in by mobile number: end customers type their phone number where others type an
e-mail address (customers.forms.PhoneOrEmailLoginForm passes it as `phone`)."""

from __future__ import annotations

from accounts.backends import ModelBackend
from accounts.models import User
from core.phones import InvalidPhoneNumber, phone_normalise
from customers.selectors import customer_by_phone


class PhoneBackend(ModelBackend):
    def authenticate(self, request, phone: str | None = None, password: str | None = None, **kw):
        if not phone or not password:
            return None
        try:
            e164 = phone_normalise(phone)
        except InvalidPhoneNumber:
            return None
        customer = customer_by_phone(phone=e164)
        if customer is None or customer.user_id is None:
            User().set_password(password)  # the same time as a wrong password
            return None
        user = User.objects.get(pk=customer.user_id)
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
