from django.urls import path

from payments.views import customer, customer_card, payouts, reseller, staff, webhooks
from payments.views import customer_payments as own

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
    # The customer's card top-up (payments.views.customer_card); "card" before <reference>.
    path("my/top-up/card/", customer_card.customer_topup_card, name="customer-topup-card"),
    path(
        "staff/payments/customer-cards/",
        customer_card.staff_customer_card_list,
        name="staff-customer-card-list",
    ),
    path("webhooks/stripe/", webhooks.stripe_webhook, name="webhook-stripe"),
    path("webhooks/paypal/", webhooks.paypal_webhook, name="webhook-paypal"),
    # The customer portal's top-up (issue 15).
    path("my/top-up/", customer.customer_topup, name="customer-topup"),
    path(
        "my/top-up/<str:reference>/",
        customer.customer_topup_status,
        name="customer-topup-status",
    ),
    path(
        "my/top-up/<str:reference>/paypal/",
        customer.customer_topup_paypal,
        name="customer-topup-paypal",
    ),
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
    # Commission payouts by SEPA credit transfer (issue 15).
    path("r/payouts/", payouts.payout_list, name="payout-list"),
    path("r/payouts/request/", payouts.payout_request_view, name="payout-request"),
    path("r/payouts/<int:pk>/", payouts.payout_detail, name="payout-detail"),
    path("staff/payouts/", payouts.staff_payout_list, name="staff-payout-list"),
    path("staff/payouts/export/", payouts.staff_payouts_export, name="staff-payout-export"),
    path("staff/payouts/<int:pk>/", payouts.staff_payout_detail, name="staff-payout-detail"),
    path(
        "staff/payouts/<int:pk>/approve/",
        payouts.staff_payout_approve,
        name="staff-payout-approve",
    ),
    path("staff/payouts/<int:pk>/reject/", payouts.staff_payout_reject, name="staff-payout-reject"),
    path("staff/payouts/batches/", payouts.staff_payout_batch_list, name="staff-payout-batch-list"),
    path(
        "staff/payouts/batches/<int:pk>/",
        payouts.staff_payout_batch_detail,
        name="staff-payout-batch-detail",
    ),
    path(
        "staff/payouts/batches/<int:pk>/download/",
        payouts.staff_payout_batch_download,
        name="staff-payout-batch-download",
    ),
    path(
        "staff/payouts/batches/<int:pk>/confirm/",
        payouts.staff_payout_batch_confirm,
        name="staff-payout-batch-confirm",
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
