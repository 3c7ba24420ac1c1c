"""Accounts administration, mounted at /administration/comptes/ (namespace "account_admin")."""

from django.urls import path

from . import import_views, views

app_name = "account_admin"
urlpatterns = [
    path("", views.account_list, name="list"),
    path("<int:pk>/", views.account_detail, name="detail"),
    path("<int:pk>/desactiver/", views.account_action, {"action": "deactivate"}, name="deactivate"),
    path("<int:pk>/reactiver/", views.account_action, {"action": "reactivate"}, name="reactivate"),
    path(
        "<int:pk>/double-authentification/",
        views.account_action,
        {"action": "reset_two_factor"},
        name="reset-two-factor",
    ),
    path(
        "<int:pk>/proconnect/",
        views.account_action,
        {"action": "unlink_proconnect"},
        name="unlink-proconnect",
    ),
    path("inviter/<slug:kind>/", import_views.upload, name="import"),
    path("inviter/import/<int:pk>/", import_views.job_page, name="import-job"),
    path("inviter/import/<int:pk>/confirmer/", import_views.confirm, name="import-confirm"),
    path("inviter/import/<int:pk>/etat.json", import_views.job_status, name="import-job-status"),
]
