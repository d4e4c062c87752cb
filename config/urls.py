from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views
from config import views
from config.admin import secure_admin

secure_admin(admin.site)

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("i18n/setlang/", accounts_views.language_set, name="set_language"),
    path("", include("accounts.urls")),
    path("", include("resellers.urls")),
    path("", include("customers.urls")),
    path("", include("ledger.urls")),
    path("", include("sms.urls")),
    path("", include("billing.urls")),
    path("", include("payments.urls")),
    path("django-admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
