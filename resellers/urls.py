from django.urls import path

from resellers import views

app_name = "resellers"

urlpatterns = [
    path("r/", views.dashboard, name="dashboard"),
    path("r/sub-resellers/", views.subreseller_list, name="subreseller-list"),
    path("r/sub-resellers/new/", views.subreseller_create, name="subreseller-create"),
    path("r/sub-resellers/<int:pk>/", views.subreseller_detail, name="subreseller-detail"),
    path("r/sub-resellers/<int:pk>/credits/", views.subreseller_credit, name="subreseller-credit"),
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
    path(
        "staff/resellers/<int:pk>/sub-resellers/",
        views.staff_reseller_policy,
        name="staff-reseller-policy",
    ),
    path(
        "staff/resellers/<int:pk>/credit/",
        views.staff_reseller_credit,
        name="staff-reseller-credit",
    ),
    path("staff/audit/", views.staff_audit_list, name="staff-audit-list"),
    path("apply/", views.apply, name="apply"),
    path("terms/", views.terms, name="terms"),
    path("r/application/", views.application, name="application"),
    path("r/application/vat-id/", views.application_vat_id, name="application-vat-id"),
    path("staff/applications/", views.staff_application_list, name="staff-application-list"),
    path(
        "staff/applications/<int:pk>/",
        views.staff_application_detail,
        name="staff-application-detail",
    ),
    path(
        "staff/applications/<int:pk>/approve/",
        views.staff_application_approve,
        name="staff-application-approve",
    ),
    path(
        "staff/applications/<int:pk>/reject/",
        views.staff_application_reject,
        name="staff-application-reject",
    ),
    path(
        "staff/applications/<int:pk>/vies/",
        views.staff_application_vies_recheck,
        name="staff-application-vies-recheck",
    ),
    path("staff/terms/", views.staff_terms_list, name="staff-terms-list"),
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
