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
]
