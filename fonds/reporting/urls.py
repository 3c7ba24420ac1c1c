from django.urls import path

from fonds.links import under

from . import dashboard_views, views

app_name = "reporting"

urlpatterns = [
    path("", views.home, name="home"),
    path("exports/csv/", views.download_csv, name="csv"),
    under(
        "exports/",
        path("", views.launch, name="launch"),
        path("<int:pk>/", views.job_detail, name="job"),
        path("<int:pk>/etat/", views.job_status, name="job-status"),
        path("<int:pk>/fichier/", views.job_download, name="job-download"),
    ),
    path("piste-audit.jsonl", views.audit_trail, name="audit"),
    path("dossiers/<int:pk>/piste-audit.jsonl", views.dossier_audit, name="dossier-audit"),
    path("tableau-de-bord/", dashboard_views.dashboard_page, name="dashboard"),
    path("tableau-de-bord/<slug:slug>/", dashboard_views.dashboard_block, name="dashboard-block"),
    path("dossiers/<int:pk>/historique.pdf", views.dossier_history_pdf, name="dossier-history"),
]
