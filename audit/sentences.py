"""Audit events as sentences people read: one table of action → sentence, filled from the
event's data, with a fallback for actions it does not know yet. Every list of audit events
(the operator overview, a reseller's page, the audit log) shows them through `audit_sentence`.

A later issue that records a new action adds its sentence here. Facts that are codes (a
role, a status, a kind of material) are shown by their label in the reader's language: the app
that owns the choices registers them in its AppConfig.ready (`labels_register`), so this bottom
layer imports none of them. Amounts with a currency are written as the language writes them."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.formats import localize
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.money import money_display

SENTENCES = {
    "advertising.requested": gettext_lazy(
        "Advertising material requested: %(quantity)s × %(kind)s."
    ),
    "advertising.status_changed": gettext_lazy(
        "Advertising request changed from %(from)s to %(to)s."
    ),
    "branding.updated": gettext_lazy("Branding updated."),
    "customer.created": gettext_lazy("Customer registered."),
    "customer.credentials_reset": gettext_lazy("Customer's sign-in details sent again."),
    "customer.password_changed": gettext_lazy("Customer changed their password."),
    "customer.profile_updated": gettext_lazy("Customer updated their profile."),
    "customer.reactivated": gettext_lazy("Customer reactivated."),
    "customer.recharged": gettext_lazy("Customer recharged with %(amount)s."),
    "customer.suspended": gettext_lazy("Customer suspended."),
    "customer.sale_reversed": gettext_lazy(
        "Sale of %(amount)s reversed; commission taken back: %(commission_clawed)s from "
        "commission credit, %(commission_owed)s owed."
    ),
    "customer_payment.created": gettext_lazy("Customer opened a card payment of %(amount)s."),
    "customer_payment.opened": gettext_lazy("Customer opened a payment of %(amount)s."),
    "customer_payment.paid": gettext_lazy("Customer's payment of %(amount)s confirmed."),
    "customer_payment.credited": gettext_lazy(
        "Customer's payment of %(amount)s credited as a recharge."
    ),
    "customer_payment.needs_funds": gettext_lazy(
        "Customer's payment of %(amount)s waits for sales credit."
    ),
    "customer_payment.flagged": gettext_lazy("Customer's payment needs attention: %(attention)s"),
    "customer_payment.mismatch": gettext_lazy(
        "Customer's card payment did not match its order: %(detail)s"
    ),
    "customer_payment.reversed": gettext_lazy(
        "Customer's payment taken back; %(amount)s reversed: %(reason)s"
    ),
    "invoice.render_retried": gettext_lazy("Invoice %(number)s: its document prepared again."),
    "invoice_export.requested": gettext_lazy("Invoices of %(month)s exported."),
    "paypal_ipn.applied": gettext_lazy("PayPal notification %(txn_id)s applied."),
    "paypal_ipn.duplicate": gettext_lazy("PayPal notification %(txn_id)s was already applied."),
    "paypal_ipn.ignored": gettext_lazy("PayPal notification %(txn_id)s ignored."),
    "paypal_ipn.pending": gettext_lazy("PayPal notification %(txn_id)s waits for its check."),
    "paypal_ipn.recorded": gettext_lazy(
        "PayPal notification %(txn_id)s (%(payment_status)s) needs attention."
    ),
    "paypal_ipn.rejected": gettext_lazy(
        "PayPal notification %(txn_id)s refused and needs attention."
    ),
    "reseller.commission_plan_set": gettext_lazy(
        "Commission plan set: %(rate)s %% from %(effective_from)s."
    ),
    "reseller_paypal.set": gettext_lazy("PayPal account for customers set (%(receiver_email)s)."),
    "hostname.activated": gettext_lazy("Own host name %(hostname)s activated."),
    "hostname.dns_checked": gettext_lazy("DNS of %(hostname)s checked."),
    "hostname.removed": gettext_lazy("Own host name %(hostname)s removed."),
    "hostname.requested": gettext_lazy("Own host name %(hostname)s requested."),
    "invitation.accepted": gettext_lazy("Invitation of %(email)s accepted."),
    "invitation.created": gettext_lazy("%(email)s invited as %(role)s."),
    "invitation.resent": gettext_lazy("Invitation of %(email)s sent again."),
    "invitation.revoked": gettext_lazy("Invitation of %(email)s revoked."),
    "ledger.commission_transferred": gettext_lazy("Commission transferred to sales credit."),
    "ledger.credit_revoked": gettext_lazy(
        "%(amount)s of sales credit taken back from a sub-reseller."
    ),
    "ledger.credit_transferred": gettext_lazy(
        "%(amount)s of sales credit given to a sub-reseller."
    ),
    "ledger.reversed": gettext_lazy("Ledger transaction reversed."),
    "ledger.staff_adjusted": gettext_lazy("Sales credit adjusted by the operator."),
    "membership.added": gettext_lazy("%(user)s added as %(role)s."),
    "membership.changed": gettext_lazy("%(user)s is now %(role)s."),
    "membership.deactivated": gettext_lazy("%(user)s deactivated."),
    "membership.reactivated": gettext_lazy("%(user)s reactivated."),
    "membership.role_changed": gettext_lazy("%(user)s changed from %(from)s to %(to)s."),
    "reseller.applied": gettext_lazy("Applied as a reseller (%(email)s)."),
    "reseller.approved": gettext_lazy("Application approved."),
    "reseller.created": gettext_lazy("Reseller created."),
    "payout.approved": gettext_lazy("Payout of %(amount)s approved."),
    "payout.paid": gettext_lazy("Payout of %(amount)s paid by SEPA credit transfer."),
    "payout.rejected": gettext_lazy("Payout of %(amount)s rejected: %(reason)s"),
    "payout.requested": gettext_lazy("Payout of %(amount)s requested to %(iban)s."),
    "payout_batch.confirmed": gettext_lazy(
        "SEPA file of %(count)s payouts (%(amount)s) confirmed paid."
    ),
    "payout_batch.exported": gettext_lazy(
        "SEPA file %(message_id)s of %(count)s payouts (%(amount)s) exported."
    ),
    "reseller.reactivated": gettext_lazy("Reseller reactivated."),
    "reseller.rejected": gettext_lazy("Application rejected."),
    "reseller.subreseller_created": gettext_lazy("Sub-reseller created."),
    "reseller.subreseller_policy_changed": gettext_lazy("Sub-reseller settings changed."),
    "reseller.suspended": gettext_lazy("Reseller suspended."),
    "reseller.terms_accepted": gettext_lazy("Reseller terms version %(terms_version)s accepted."),
    "reseller.vat_id_changed": gettext_lazy("VAT ID changed from %(from)s to %(to)s."),
    "sms.message.failed": gettext_lazy("An SMS could not be delivered."),
    "sms.message.resent": gettext_lazy("An SMS was sent again."),
    "statement.imported": gettext_lazy("Bank statement %(file)s imported."),
    "statement.line_dismissed": gettext_lazy(
        "Bank statement line of %(amount)s set aside: %(note)s"
    ),
    "topup.chargeback": gettext_lazy("Chargeback of %(amount)s on a top-up (%(status)s)."),
    "topup.created": gettext_lazy("Top-up of %(amount)s opened (%(method)s)."),
    "topup.paid": gettext_lazy("Top-up paid: %(amount)s credited (%(method)s)."),
    "topup.refund_posted": gettext_lazy("Refund of %(amount)s posted after review."),
    "topup.refund_requested": gettext_lazy("Refund of %(amount)s on a top-up: %(reason)s"),
    "topup.refunded": gettext_lazy(
        "Refund of %(amount)s made at the payment provider (%(status)s)."
    ),
    "terms.published": gettext_lazy("Reseller terms version %(version)s published."),
    "user.created": gettext_lazy("User account created."),
    "vat_check.requested": gettext_lazy("VIES asked again by the operator."),
    "vat_check.valid": gettext_lazy("VIES: VAT ID %(vat_id)s is valid."),
    "vat_check.invalid": gettext_lazy("VIES: VAT ID %(vat_id)s is invalid."),
    "vat_check.unavailable": gettext_lazy(
        "VIES could not answer about %(vat_id)s (attempt %(attempt)s, %(error)s)."
    ),
}


# Facts that are amounts in the event's `currency`: written as the reader's language writes money.
MONEY_FACTS = frozenset({"amount", "commission_clawed", "commission_owed"})
# Facts that are plain numbers (a rate): written with the reader's decimal sign.
NUMBER_FACTS = frozenset({"rate"})

# (action, fact) → {code: label}: filled by the apps that own the choices.
_LABELS: dict[tuple[str, str], dict[str, object]] = {}


def labels_register(choices, *facts: tuple[str, str]) -> None:
    """Show the facts `(action, fact)` of events by the labels of `choices` (a Django
    `TextChoices` class) instead of their codes."""
    for fact in facts:
        _LABELS[fact] = dict(choices.choices)


class _Facts(dict):
    """The event's data; a fact the sentence names but the event lacks shows as "?"."""

    def __missing__(self, key: str) -> str:
        return "?"


def audit_sentence(action: str, data: dict | None = None) -> str:
    """`vat_check.unavailable` + its data → "VIES could not answer about DE… (attempt 2, …)"."""
    sentence = SENTENCES.get(action)
    if sentence is None:
        return _("Other event (%(action)s).") % {"action": action}
    data = data or {}
    facts = _Facts()
    for key, value in data.items():
        labels = _LABELS.get((action, key), {})
        if value in (None, ""):
            value = "—"
        elif isinstance(value, str) and value in labels:
            value = labels[value]
        elif key in MONEY_FACTS and data.get("currency"):
            value = money_display(value, data["currency"])
        elif key == "amount" or key in NUMBER_FACTS:  # amounts before they named the currency
            value = _number(value)
        facts[key] = value
    return str(sentence) % facts


def _number(value):
    """A number of an event's data with the reader's decimal sign ("10,00"), or as it is."""
    try:
        return localize(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return value
