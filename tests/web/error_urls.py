"""The project's URL conf plus a view that fails: the only way to see the 500 page in a test."""

from django.urls import path

from fonds.urls import handler400, handler403, handler404, handler500  # noqa: F401
from fonds.urls import urlpatterns as project_urlpatterns


def boom(request):
    raise RuntimeError("panne simulée")


urlpatterns = [path("panne/", boom), path("api/v1/panne/", boom), *project_urlpatterns]
