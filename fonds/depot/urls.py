"""The mayor's front office, mounted at /depot/ (namespace "depot")."""

from django.urls import path

from fonds.links import under

from . import accounts_views
from .views import home, steps, submission

app_name = "depot"
urlpatterns = [
    path("", home.my_dossiers, name="my-dossiers"),
    path("nouveau/<int:campaign_pk>/", steps.new_dossier, name="new"),
    under(
        "dossiers/<int:pk>/",
        path("", steps.resume, name="resume"),
        path("etapes/<slug:step>/", steps.step_view, name="step"),
        path("verification/", submission.check, name="check"),
        path("deposer/", submission.submit, name="submit"),
        path("depose/", submission.submitted, name="submitted"),
        path("recepisse/", submission.receipt, name="receipt"),
        path("recepisse/etat/", submission.receipt_status, name="receipt-status"),
    ),
    # accounts
    path("compte/invitation/<uidb64>/<token>/", accounts_views.InvitationView.as_view(), name="invitation"),
    path("compte/mot-de-passe-oublie/", accounts_views.PasswordResetView.as_view(), name="password-reset"),
    path(
        "compte/mot-de-passe-oublie/envoye/",
        accounts_views.PasswordResetDoneView.as_view(),
        name="password-reset-done",
    ),
    path(
        "compte/reinitialiser/<uidb64>/<token>/",
        accounts_views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "compte/reinitialiser/termine/",
        accounts_views.PasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
]
