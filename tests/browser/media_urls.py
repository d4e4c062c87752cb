"""The portal's URLs plus uploaded files, for browser tests that show a logo (DEBUG is off in
tests, so config/urls.py does not serve MEDIA_URL)."""

from django.conf import settings
from django.urls import path
from django.views.static import serve

from config.urls import urlpatterns as portal_urlpatterns


def media(request, path):
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [*portal_urlpatterns, path("media/<path:path>", media)]
