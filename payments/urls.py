from django.urls import path

from payments.views import customer_payments as own
from payments.views import reseller, staff, webhooks

app_name = "payments"

urlpatterns = [
    path("r/funds/add/", reseller.add_funds, name="add-funds"),
    path("r/funds/quote/", reseller.quote, name="quote"),
    path("r/payments/", reseller.topup_list, name="topup-list"),
    path("r/payments/<int:pk>/", reseller.topup_detail, name="topup-detail"),
    path("r/payments/<int:pk>/pay/", reseller.topup_pay, name="topup-pay"),
    path("r/payments/<int:pk>/return/", reseller.topup_return, name="topup-return"),
    path("r/payments/<int:pk>/cancel/", reseller.topup_cancel, name="topup-cancel"),
    path("r/payments/<int:pk>/proforma/", reseller.topup_proforma, name="topup-proforma"),
    path("webhooks/stripe/", webhooks.stripe_webhook, name="webhook-stripe"),
    path("webhooks/paypal/", webhooks.paypal_webhook, name="webhook-paypal"),
    path("staff/payments/", staff.staff_topup_list, name="staff-topup-list"),
    path("staff/payments/<int:pk>/", staff.staff_topup_detail, name="staff-topup-detail"),
    path("staff/payments/<int:pk>/refund/", staff.staff_topup_refund, name="staff-topup-refund"),
    path(
        "staff/payments/refunds/<int:pk>/retry/",
        staff.staff_refund_retry,
        name="staff-refund-retry",
    ),
    path(
        "staff/payments/reconciliation/",
        staff.staff_reconciliation,
        name="staff-reconciliation",
    ),
    path("staff/payments/statements/", staff.staff_statements, name="staff-statements"),
    path(
        "staff/payments/statements/<int:pk>/",
        staff.staff_statement_detail,
        name="staff-statement-detail",
    ),
    path(
        "staff/payments/statements/queue/",
        staff.staff_statement_queue,
        name="staff-statement-queue",
    ),
    path(
        "staff/payments/statements/lines/<int:pk>/",
        staff.staff_statement_line,
        name="staff-statement-line",
    ),
    path(
        "staff/payments/statements/lines/<int:pk>/assign/",
        staff.staff_statement_line_assign,
        name="staff-statement-line-assign",
    ),
    path(
        "staff/payments/statements/lines/<int:pk>/dismiss/",
        staff.staff_statement_line_dismiss,
        name="staff-statement-line-dismiss",
    ),
    # Customers' own payments into the reseller's PayPal (issue 15).
    path("ipn/paypal/<str:token>/", own.paypal_ipn, name="paypal-ipn"),
    path("r/paypal/", own.paypal_settings, name="paypal-settings"),
    path("r/paypal/notifications/", own.paypal_ipn_list, name="paypal-ipn-list"),
    path("r/paypal/notifications/<int:pk>/", own.paypal_ipn_detail, name="paypal-ipn-detail"),
    path("r/customer-payments/", own.customer_payment_list, name="customer-payment-list"),
    path(
        "r/customer-payments/<int:pk>/",
        own.customer_payment_detail,
        name="customer-payment-detail",
    ),
    path(
        "r/customer-payments/fund/",
        own.customer_payments_fund_now,
        name="customer-payments-fund",
    ),
    path(
        "staff/customer-payments/",
        own.staff_customer_payment_list,
        name="staff-customer-payment-list",
    ),
    path(
        "staff/customer-payments/<int:pk>/",
        own.staff_customer_payment_detail,
        name="staff-customer-payment-detail",
    ),
    path(
        "staff/paypal-notifications/",
        own.staff_paypal_ipn_list,
        name="staff-paypal-ipn-list",
    ),
    path(
        "staff/paypal-notifications/<int:pk>/",
        own.staff_paypal_ipn_detail,
        name="staff-paypal-ipn-detail",
    ),
]
