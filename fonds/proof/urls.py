"""Proof documents, mounted at /preuves/ (namespace "proof"): one page per audience of the
complete dossier (its own route, so the permission matrix checks each version)."""

from django.urls import path

from . import archive_views, views
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

urlpatterns += [
    path("archives/", archive_views.archives, name="archives"),
    path("archives/<int:pk>/", archive_views.archive_detail, name="archive"),
    path("archives/<int:pk>/etat/", archive_views.archive_status, name="archive-status"),
    path("archives/<int:pk>/fichier/", archive_views.archive_file, name="archive-file"),
]
