from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("fonds.api.urls")),
    path("depot/", include("fonds.depot.urls")),
    path("suivi/", include("fonds.suivi.urls")),
    path("instruction/", include("fonds.instruction.urls")),
    path("", include("fonds.web.urls")),
]
