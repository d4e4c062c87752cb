from django.urls import path

from resellers import views

app_name = "resellers"

urlpatterns = [
    path("r/", views.dashboard, name="dashboard"),
    path("r/sub-resellers/", views.subreseller_list, name="subreseller-list"),
    path("r/sub-resellers/<int:pk>/", views.subreseller_detail, name="subreseller-detail"),
    path("staff/", views.staff_dashboard, name="staff-dashboard"),
    path("staff/resellers/", views.staff_reseller_list, name="staff-reseller-list"),
    path("staff/resellers/<int:pk>/", views.staff_reseller_detail, name="staff-reseller-detail"),
    path(
        "staff/resellers/<int:pk>/suspend/",
        views.staff_reseller_suspend,
        name="staff-reseller-suspend",
    ),
    path(
        "staff/resellers/<int:pk>/reactivate/",
        views.staff_reseller_reactivate,
        name="staff-reseller-reactivate",
    ),
    path("staff/audit/", views.staff_audit_list, name="staff-audit-list"),
    path("r/branding/", views.branding, name="branding"),
    path("r/branding/hostname/", views.hostname_request, name="hostname-request"),
    path("r/branding/hostname/check/", views.hostname_check, name="hostname-check"),
    path("r/branding/hostname/activate/", views.hostname_activate, name="hostname-activate"),
    path("r/branding/hostname/remove/", views.hostname_remove, name="hostname-remove"),
    path("r/advertising/", views.advertising_list, name="advertising-list"),
    path("r/advertising/new/", views.advertising_create, name="advertising-create"),
    path("r/advertising/<int:pk>/", views.advertising_detail, name="advertising-detail"),
    path("staff/advertising/", views.staff_advertising_list, name="staff-advertising-list"),
    path(
        "staff/advertising/<int:pk>/",
        views.staff_advertising_detail,
        name="staff-advertising-detail",
    ),
    path(
        "staff/advertising/<int:pk>/status/",
        views.staff_advertising_status,
        name="staff-advertising-status",
    ),
]
