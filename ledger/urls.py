from django.urls import path

from ledger import views

app_name = "ledger"

urlpatterns = [
    path("staff/ledger/", views.staff_transaction_list, name="staff-transaction-list"),
    path("staff/ledger/<int:pk>/", views.staff_transaction_detail, name="staff-transaction-detail"),
    path(
        "staff/ledger/<int:pk>/reverse/",
        views.staff_transaction_reverse,
        name="staff-transaction-reverse",
    ),
    path(
        "staff/ledger/accounts/<int:pk>/",
        views.staff_account_statement,
        name="staff-account-statement",
    ),
    path("r/cashbook/", views.cashbook, name="cashbook"),
    path("r/cashbook/export/", views.cashbook_export, name="cashbook-export"),
    path("r/commission/transfer/", views.commission_transfer, name="commission-transfer"),
]
