"""The mayor's front office, mounted at /depot/ (namespace "depot")."""

from django.urls import path

from . import accounts_views
from .views import home, steps, submission

app_name = "depot"
urlpatterns = [
    path("", home.my_dossiers, name="my-dossiers"),
    path("nouveau/<int:campaign_pk>/", steps.new_dossier, name="new"),
    path("dossiers/<int:pk>/", steps.resume, name="resume"),
    path("dossiers/<int:pk>/etapes/<slug:step>/", steps.step_view, name="step"),
    path("dossiers/<int:pk>/verification/", submission.check, name="check"),
    path("dossiers/<int:pk>/deposer/", submission.submit, name="submit"),
    path("dossiers/<int:pk>/depose/", submission.submitted, name="submitted"),
    path("dossiers/<int:pk>/recepisse/", submission.receipt, name="receipt"),
    path("dossiers/<int:pk>/recepisse/etat/", submission.receipt_status, name="receipt-status"),
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
