from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("tenant/", views.tenant_choose, name="tenant-choose"),
    path("tenant/switch/", views.tenant_switch, name="tenant-switch"),
    path("r/users/", views.member_list, name="member-list"),
    path("r/users/invite/", views.member_invite, name="member-invite"),
    path("r/users/<int:pk>/role/", views.member_role, name="member-role"),
    path("r/users/<int:pk>/deactivate/", views.member_deactivate, name="member-deactivate"),
    path("r/users/<int:pk>/reactivate/", views.member_reactivate, name="member-reactivate"),
    path(
        "r/users/invitations/<int:pk>/revoke/",
        views.invitation_revoke,
        name="invitation-revoke",
    ),
    path(
        "r/users/invitations/<int:pk>/resend/",
        views.invitation_resend,
        name="invitation-resend",
    ),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation-accept"),
]
