from django.urls import path

from resellers.views import advertising, branding, onboarding, sales_panel, staff, subresellers

app_name = "resellers"

urlpatterns = [
    path("r/", sales_panel.dashboard, name="dashboard"),
    path("r/sub-resellers/", subresellers.subreseller_list, name="subreseller-list"),
    path("r/sub-resellers/new/", subresellers.subreseller_create, name="subreseller-create"),
    path("r/sub-resellers/<int:pk>/", subresellers.subreseller_detail, name="subreseller-detail"),
    path(
        "r/sub-resellers/<int:pk>/credits/",
        subresellers.subreseller_credit,
        name="subreseller-credit",
    ),
    path(
        "r/sub-resellers/<int:pk>/commission/",
        subresellers.subreseller_commission,
        name="subreseller-commission",
    ),
    path("staff/", staff.staff_dashboard, name="staff-dashboard"),
    path("staff/resellers/", staff.staff_reseller_list, name="staff-reseller-list"),
    path("staff/resellers/<int:pk>/", staff.staff_reseller_detail, name="staff-reseller-detail"),
    path(
        "staff/resellers/<int:pk>/suspend/",
        staff.staff_reseller_suspend,
        name="staff-reseller-suspend",
    ),
    path(
        "staff/resellers/<int:pk>/reactivate/",
        staff.staff_reseller_reactivate,
        name="staff-reseller-reactivate",
    ),
    path(
        "staff/resellers/<int:pk>/sub-resellers/",
        staff.staff_reseller_policy,
        name="staff-reseller-policy",
    ),
    path(
        "staff/resellers/<int:pk>/credit/",
        staff.staff_reseller_credit,
        name="staff-reseller-credit",
    ),
    path(
        "staff/resellers/<int:pk>/commission/",
        staff.staff_reseller_commission,
        name="staff-reseller-commission",
    ),
    path("staff/audit/", staff.staff_audit_list, name="staff-audit-list"),
    path("apply/", onboarding.apply, name="apply"),
    path("terms/", onboarding.terms, name="terms"),
    path("r/application/", onboarding.application, name="application"),
    path("r/application/vat-id/", onboarding.application_vat_id, name="application-vat-id"),
    path(
        "r/application/terms/",
        onboarding.application_terms_accept,
        name="application-terms-accept",
    ),
    path("staff/applications/", onboarding.staff_application_list, name="staff-application-list"),
    path(
        "staff/applications/<int:pk>/",
        onboarding.staff_application_detail,
        name="staff-application-detail",
    ),
    path(
        "staff/applications/<int:pk>/approve/",
        onboarding.staff_application_approve,
        name="staff-application-approve",
    ),
    path(
        "staff/applications/<int:pk>/reject/",
        onboarding.staff_application_reject,
        name="staff-application-reject",
    ),
    path(
        "staff/applications/<int:pk>/vies/",
        onboarding.staff_application_vies_recheck,
        name="staff-application-vies-recheck",
    ),
    path("staff/terms/", onboarding.staff_terms_list, name="staff-terms-list"),
    path("r/branding/", branding.branding, name="branding"),
    path("r/branding/hostname/", branding.hostname_request, name="hostname-request"),
    path("r/branding/hostname/check/", branding.hostname_check, name="hostname-check"),
    path("r/branding/hostname/activate/", branding.hostname_activate, name="hostname-activate"),
    path("r/branding/hostname/remove/", branding.hostname_remove, name="hostname-remove"),
    path("r/advertising/", advertising.advertising_list, name="advertising-list"),
    path("r/advertising/new/", advertising.advertising_create, name="advertising-create"),
    path("r/advertising/<int:pk>/", advertising.advertising_detail, name="advertising-detail"),
    path("staff/advertising/", advertising.staff_advertising_list, name="staff-advertising-list"),
    path(
        "staff/advertising/<int:pk>/",
        advertising.staff_advertising_detail,
        name="staff-advertising-detail",
    ),
    path(
        "staff/advertising/<int:pk>/status/",
        advertising.staff_advertising_status,
        name="staff-advertising-status",
    ),
]
