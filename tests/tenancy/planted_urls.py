from django.urls import include, path

from tests.tenancy import planted_views

planted = (
    [
        path("customers/<int:pk>/", planted_views.leaky_customer_detail, name="leaky-customer"),
        path("settings/", planted_views.admin_page_without_role_check, name="admin-settings"),
        path("things/<int:pk>/", planted_views.unregistered_object_page, name="unregistered"),
    ],
    "planted",
)

urlpatterns = [
    path("planted/", include(planted)),
    path("", include("config.urls")),
]
