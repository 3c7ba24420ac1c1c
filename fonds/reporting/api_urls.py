"""The « Contrôle » API routes, included by fonds/api/urls.py under /api/v1/."""

from django.urls import path

from . import api, commune_history_api

urlpatterns = [
    path("decisions/", api.DecisionsView.as_view(), name="api-decisions"),
    path("exports/", api.ExportsView.as_view(), name="api-exports"),
    path("exports/<int:pk>/", api.ExportDetailView.as_view(), name="api-export"),
    path("exports/<int:pk>/download/", api.ExportDownloadView.as_view(), name="api-export-download"),
    path("audit-trail/", api.AuditTrailView.as_view(), name="api-audit-trail"),
    path("audit-trail/export/", api.AuditExportView.as_view(), name="api-audit-export"),
    path(
        "communes/<str:code>/history/",
        commune_history_api.CommuneHistoryView.as_view(),
        name="api-commune-history",
    ),
]
