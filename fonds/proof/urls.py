"""Proof documents, mounted at /preuves/ (namespace "proof"): one page per audience of the
complete dossier (its own route, so the permission matrix checks each version)."""

from django.urls import path

from . import views
from .audiences import Audience

app_name = "proof"
urlpatterns = []
for _audience in Audience:
    urlpatterns += [
        path(
            f"dossiers/<int:pk>/complet/{_audience.value}/",
            views.complete_pdf,
            {"audience": _audience.value},
            name=f"complete-{_audience.value}",
        ),
        path(
            f"dossiers/<int:pk>/complet/{_audience.value}/etat/",
            views.complete_status,
            {"audience": _audience.value},
            name=f"complete-status-{_audience.value}",
        ),
    ]
