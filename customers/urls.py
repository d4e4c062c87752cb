from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("r/customers/", views.customer_list_view, name="customer-list"),
    path("r/customers/<int:pk>/", views.customer_detail, name="customer-detail"),
    path("my/", views.portal, name="portal"),
]
