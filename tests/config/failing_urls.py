from django.urls import include, path


def boom(request):
    raise RuntimeError("planted failure")


urlpatterns = [path("boom/", boom), path("", include("config.urls"))]
