"""For the customer portal's home (customers/, a layer below payments): whether the customer
may top up online, so its template links the top-up page only then."""

from django import template

from payments.services.customer_checkout import customer_topup_methods

register = template.Library()


@register.simple_tag
def customer_topup_offered(customer) -> bool:
    return bool(customer_topup_methods(customer=customer))
