from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("tenant/", views.tenant_choose, name="tenant-choose"),
    path("tenant/switch/", views.tenant_switch, name="tenant-switch"),
    path("r/users/", views.member_list, name="member-list"),
]
