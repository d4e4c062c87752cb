from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("r/customers/", views.customer_list_view, name="customer-list"),
    path("r/accounts/", views.account_list, name="account-list"),
    path("r/customers/<int:pk>/", views.customer_detail, name="customer-detail"),
    path("my/", views.portal, name="portal"),
    path("r/recharge/", views.recharge, name="recharge"),
    path(
        "r/customers/<int:pk>/credentials/",
        views.customer_credentials_reset_view,
        name="customer-credentials-reset",
    ),
    path("r/customers/<int:pk>/suspend/", views.customer_suspend_view, name="customer-suspend"),
    path(
        "r/customers/<int:pk>/reactivate/",
        views.customer_reactivate_view,
        name="customer-reactivate",
    ),
    path("my/password/", views.portal_password, name="portal-password"),
    path("my/profile/", views.portal_profile, name="portal-profile"),
]
