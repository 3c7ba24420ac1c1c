"""Routes of the bulk actions, included in the ``instruction`` namespace (fonds/instruction/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("actions-groupees/", views.jobs, name="bulk-jobs"),
    path("actions-groupees/confirmer/", views.confirm, name="bulk"),
    path("actions-groupees/<int:pk>/", views.job_page, name="bulk-job"),
    path("actions-groupees/<int:pk>/etat.json", views.job_status, name="bulk-job-status"),
]
